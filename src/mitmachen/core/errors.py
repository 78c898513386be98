from django.core.exceptions import ValidationError


def messages_of(exc: ValidationError) -> dict[str, list[str]]:
    """A ValidationError as {field: [messages]}; "__all__" for errors of the whole object."""
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for e in errs for m in e.messages] for field, errs in
                exc.error_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


def add_to_form(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form that fed it."""
    for field, messages in messages_of(exc).items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)


def text_of(exc: ValidationError) -> str:
    """All messages of a ValidationError as one line, for a flash message."""
    return " ".join(message for messages in messages_of(exc).values() for message in messages)
