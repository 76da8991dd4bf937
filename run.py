"""Run the development server on localhost:$PORT (default 5000); debug only with FLASK_DEBUG=1.

It listens on 127.0.0.1 only: Werkzeug binds ``localhost`` as an IPv4 address, the loopback.
Naming it ``localhost`` makes the line it prints, ``Running on http://localhost:PORT``, the
address to open: browsers refuse passkeys at an IP address such as 127.0.0.1.
"""

import os

from app import create_app

if __name__ == "__main__":
    create_app().run(host="localhost", port=int(os.environ.get("PORT", "5000")))
