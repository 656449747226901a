from flask_babel import lazy_gettext as _l

KIND_TITLES = {"meeting": _l("meeting"), "call": _l("call"), "letter": _l("letter")}
ACT_TITLES = {
    "handed_over": _l("handed over to the customer"),
    "received": _l("received from the customer"),
    "approved": _l("approved by the customer"),
}
