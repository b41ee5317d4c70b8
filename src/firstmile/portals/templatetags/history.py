from django import template

from firstmile.portals.sentences import event_sentence

register = template.Library()


@register.filter
def sentence(event) -> str:
    """An event as the sentence a person reads in its history (portals/sentences.py)."""
    return event_sentence(event)
