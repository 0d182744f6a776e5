"""gymnasium.error, the parts the stand-in uses."""


class Error(Exception):
    pass


class CustomSpaceError(Exception):
    pass
