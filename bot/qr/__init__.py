"""QR sheets wards post in buildings, and the public page a sheet opens."""
