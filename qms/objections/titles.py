from flask_babel import lazy_gettext as _l

KIND_TITLES = {
    "change": _l("about change"),
    "price": _l("about the price"),
    "experience": _l("from a negative experience"),
    "decision": _l("about the decision itself"),
}
STEP_TITLES = {
    "listened": _l("listened"),
    "emotion_neutralised": _l("neutralised the emotion"),
    "clarified": _l("clarified with questions"),
    "solution_offered": _l("offered a solution or an alternative"),
}
OUTCOME_TITLES = {
    "overcome": _l("overcome"),
    "alternative": _l("an alternative agreed"),
    "open": _l("still open"),
    "lost": _l("not overcome"),
}
