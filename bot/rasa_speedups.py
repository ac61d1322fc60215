"""Two costs inside Rasa 3.6 that do no useful work, removed without changing
what Rasa does (bench/load.py measured them; the Zalo channel installs these
in the Rasa server when Rasa loads it).

* ``RemoteAction._validate_action_result`` calls ``jsonschema.validate`` on
  every action server answer, which checks Rasa's large events schema against
  the JSON Schema meta-schema each time before validating the answer: 38 % of
  a saturated server's time. Here the schema is checked once and its
  validator reused; an invalid answer raises the same ValidationError.
* ``Event.resolve_by_type`` walks every Event subclass for each event it
  reads back from the tracker store; here the class found for a type name is
  remembered (unknown names are still looked up, and still fail, each time).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Text, Type

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    _validate_action_results_with_one_validator()
    _remember_event_types()


def _validate_action_results_with_one_validator() -> None:
    from jsonschema import exceptions, validators
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        error = exceptions.best_match(validator.iter_errors(result))
        if error is not None:  # as jsonschema.validate raises it, with Rasa's hint
            error.message += (
                f". Failed to validate Action server response from API, make sure your response from the "
                f"Action endpoint is valid. For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise error
        return True

    RemoteAction._validate_action_result = _validate_action_result


def _remember_event_types() -> None:
    from rasa.shared.core.events import Event

    look_up = Event.resolve_by_type
    known: Dict[Text, Type[Event]] = {}

    def resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
        found = known.get(type_name)
        if found is None:
            found = look_up(type_name, default)
            if found is not None and found is not default:
                known[type_name] = found
        return found

    Event.resolve_by_type = staticmethod(resolve_by_type)
