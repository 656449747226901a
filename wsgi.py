from qms import create_app
from qms.heap import freeze_startup_objects

app = create_app()
freeze_startup_objects()  # each gunicorn worker, once its app is built
