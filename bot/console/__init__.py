"""The officer console: login (login.py) and one page per feature.

``PAGES`` lists the pages in the order of the top bar: (module, address,
label). Each page module has ``create(access, kb) -> Blueprint`` and its
page's body and script, static/<page>.html and static/<page>.js; a blueprint
that runs background jobs lists them in ``ctx.jobs`` (``async job(app,
loop)``). The web server mounts every page and starts every job
(bot/apps/web.py). Adding a page: its module, its two static files and one
line here (and in PAGE_ROLES if it is not for officers and commanders).
"""

PAGES = [
    ("bot.console.chats", "/console", "Trò chuyện"),
    ("bot.console.tipoffs", "/console/tipoffs", "Tin báo"),
    ("bot.console.announcements", "/console/announcements", "Thông báo"),
    ("bot.console.qr", "/console/qr", "Mã QR"),
    ("bot.console.reports", "/console/reports", "Báo cáo"),
    ("bot.console.privacy", "/console/privacy", "Dữ liệu cá nhân"),
    ("bot.console.review", "/console/review", "Câu hỏi cần xử lý"),
]

# Who sees each page (its address in PAGES), and which API it calls; a page
# not named here is for officers and commanders. A role that is neither
# (editors: content staff) sees only the pages naming it, and calls only
# their APIs (bot/console/access.py).
DEFAULT_ROLES = ("officer", "commander")
PAGE_ROLES = {"/console/review": ("editor", "commander")}
PAGE_APIS = {"/console/review": "/console/api/review"}
