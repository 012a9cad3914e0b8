"""The steps of a job: every (plugin, instance) pair pyblish would process from extraction on.

Runs inside DCCs: standard library and pyblish-base only, Python 3.7 syntax.
"""

import pyblish.api
import pyblish.logic

from pyblish_qml_queue.common import stages
from pyblish_qml_queue.common.locate import plugin_locator


def effective_targets(targets=None):
    """The targets pyblish uses: ``targets``, else "default" plus the registered ones."""
    if targets:
        return list(targets)
    return ["default"] + pyblish.api.registered_targets()


def iter_pairs(plugins, context, targets=None, first=None, last=None):
    """Yield (plugin, instance or None) as pyblish's Iterator would, without its test.

    The rules are pyblish.logic.Iterator's: plugins filtered by targets, inactive
    plugins left out, instances matched per plugin (evaluated when the plugin is
    reached, so instances made by earlier plugins count), instances whose
    ``data["publish"]`` is False skipped, a ContextPlugin yielded once with None.
    Unlike Iterator, there is no registered test: nothing stops on validation
    errors; the caller decides.

    Args:
        plugins: plugin classes, in the order to process them (as discover() sorts).
        context: the pyblish Context.
        targets: targets, or None for "default" plus the registered ones.
        first: only plugins with ``order >= first`` (None: no lower bound).
        last: only plugins with ``order < last`` (None: no upper bound).
    """
    for plugin in pyblish.logic.plugins_by_targets(plugins, effective_targets(targets)):
        if not plugin.active:
            continue
        if first is not None and plugin.order < first:
            continue
        if last is not None and plugin.order >= last:
            continue
        if plugin.__instanceEnabled__:
            for instance in pyblish.logic.instances_by_plugin(context, plugin):
                if instance.data.get("publish") is False:
                    continue
                yield plugin, instance
        else:
            yield plugin, None


def plan_steps(context, plugins, targets=None):
    """Every (plugin, instance) pair pyblish would process from extraction on.

    Built with :func:`iter_pairs` (our own loop over pyblish.logic's helpers,
    without Iterator's registered test), over plugins with
    ``order >= stages.EXTRACTION_STARTS`` (``ExtractorOrder - 0.5``), in the order of ``plugins``.

    Returns:
        list of step dicts: plugin (class name), module, label, order,
        instance (name or None), instance_id (id or None).
    """
    steps = []
    for plugin, instance in iter_pairs(plugins, context, targets, first=stages.EXTRACTION_STARTS):
        module, name = plugin_locator(plugin)
        steps.append(
            {
                "plugin": name,
                "module": module,
                "label": plugin.label or name,
                "order": float(plugin.order),
                "instance": None if instance is None else instance.name,
                "instance_id": None if instance is None else instance.id,
            }
        )
    return steps
