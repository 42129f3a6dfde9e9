from django import template

from home.dashboard import dashboard

register = template.Library()


@register.simple_tag(takes_context=True)
def studio_dashboard(context):
    request = context.get("request")
    return dashboard(request.user if request else None)
