"""Every existing flow becomes version 1 of itself (its nodes, edges and trigger), which is
also its draft; its runs, past and waiting, run that version."""

from django.db import migrations


def _trigger(flow) -> dict:
    if flow.trigger_type == "event":
        return {"type": "event", "event": flow.trigger_event}
    if flow.trigger_type == "conversation":
        return {"type": "conversation", "keywords": list(flow.trigger_keywords or [])}
    return {"type": "manual"}


def forwards(apps, schema_editor):
    Flow = apps.get_model("flows", "Flow")
    FlowVersion = apps.get_model("flows", "FlowVersion")
    FlowRun = apps.get_model("flows", "FlowRun")
    for flow in Flow.objects.filter(published_version__isnull=True).order_by("pk").iterator():
        nodes = list(flow.nodes.order_by("id"))
        keys = {n.pk: n.key for n in nodes}
        graph = {
            "trigger": _trigger(flow),
            "nodes": [
                {
                    "key": n.key,
                    "type": n.type,
                    "config": n.config,
                    "position": {"x": n.position_x, "y": n.position_y},
                }
                for n in nodes
            ],
            "edges": [
                {"source": keys[e.source_id], "port": e.port, "target": keys[e.target_id]}
                for e in flow.edges.order_by("id")
            ],
        }
        version = FlowVersion.objects.create(
            flow=flow,
            number=1,
            graph=graph,
            published_at=flow.updated_at,
            note="Version 1 (the flow as it was)",
        )
        Flow.objects.filter(pk=flow.pk).update(published_version=version, version_count=1, draft=graph)
        FlowRun.objects.filter(flow=flow, version__isnull=True, graph__isnull=True).update(version=version)


class Migration(migrations.Migration):
    dependencies = [("flows", "0003_flow_versions")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
