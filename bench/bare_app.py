"""A bare Flask route: what gunicorn and Flask serve with no application behind them
(the ceiling bench/serving_ratio.py compares the order page with)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "ok"
