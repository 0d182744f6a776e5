"""Python client of codegym-serve (CodeGym-TS): blocking and asyncio clients, a cluster client over
many servers, typed errors and a Gymnasium-style env. See clients/python/README.md."""
from __future__ import annotations

from . import _codes
from ._codes import *  # noqa: F401,F403 - one exception class per error code of the schema
from ._codes import ERROR_CLASSES, ERROR_CODES, PROTOCOL_VERSIONS, ROLLBACK_CODES
from .actions import observation_text, parse_action
from .aio import CLOSE_CODES, FINAL_CLOSE_CODES, AsyncCodeGymClient, ReconnectPolicy, Snapshot
from .client import CodeGymClient
from .cluster import (AsyncClusterSession, AsyncCodeGymCluster, ClusterSession, CodeGymCluster, DnsServers, EpisodeLostError,
                      NoServerAvailableError, ReplayMismatchError, SessionClosedError)
from .errors import (CodeGymClientError, CodeGymError, ConnectError, ConnectionClosedError, EnvStateError, RequestTooLargeError,
                     InvalidArgumentError, RequestTimeoutError, UnencodableValueError, UsageError, error_from_wire)
from .gym import CodeGymEnv, TextSpace, make_vector_env

__version__ = "0.1.0"

__all__ = [
    "AsyncCodeGymClient", "CodeGymClient", "CodeGymEnv", "ReconnectPolicy", "Snapshot", "CLOSE_CODES", "FINAL_CLOSE_CODES",
    "AsyncCodeGymCluster", "AsyncClusterSession", "CodeGymCluster", "ClusterSession", "DnsServers",
    "EpisodeLostError", "NoServerAvailableError", "ReplayMismatchError", "SessionClosedError",
    "CodeGymClientError", "CodeGymError", "ConnectionClosedError", "RequestTimeoutError", "error_from_wire",
    "ConnectError", "EnvStateError", "RequestTooLargeError", "InvalidArgumentError", "UnencodableValueError", "UsageError",
    "TextSpace", "make_vector_env",
    "ERROR_CLASSES", "ERROR_CODES", "PROTOCOL_VERSIONS", "ROLLBACK_CODES", "parse_action", "observation_text",
    *_codes.__all__,
]
