"""An in-memory simulator of the Zalo Official Account (OA) Open API.

It serves the Open API endpoints the Zalo connector calls (send, upload,
user detail, token refresh), plays Zalo's side of the webhook (signed user
events), records everything and injects faults. See server.py for the
endpoints, client.py for the test helper and `python -m devtools.zalo_sim -h`.
"""

from devtools.zalo_sim.client import SimClient
from devtools.zalo_sim.server import SimAccount, SimConfig, create_app

__all__ = ["SimAccount", "SimClient", "SimConfig", "create_app"]
