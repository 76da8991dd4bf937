"""Run the development server on 127.0.0.1:$PORT (default 5000); debug only with FLASK_DEBUG=1."""

import os

from app import create_app

if __name__ == "__main__":
    create_app().run(host="127.0.0.1", port=int(os.environ.get("PORT", "5000")))
