{#
    The job script that `python project.py submit` renders (signac-flow's default --template).

    base_script is the template of the detected compute environment: slurm-gpu.sh on a SLURM
    cluster that signac-flow does not know by name (mesocrystal.scheduler), a template of
    your own for a cluster you added (docs/cluster.md), signac-flow's own template on a
    cluster it knows (Great Lakes, Expanse, Anvil, ...). Every script gets the software
    environment of setup.sh: the project's SLURM templates include it themselves
    (includes_setup), signac-flow's get it here.

    A script that runs the `study` group of its jobs ends by running the `aggregates` group
    (the phase diagram): it runs only when every job of the study has its label, so the last
    job of a study to finish draws it and the others pass.
#}
{% extends base_script %}
{% block custom_content %}
    {% if includes_setup is defined %}
{{ super() -}}
    {% else %}
{% include "setup.sh" %}

    {% endif %}
{% endblock custom_content %}
{% block footer %}
{{ super() -}}
    {% set study = operations|selectattr("name", "equalto", "study")|list %}
    {% if study %}

# The aggregates (phase diagram), once every job of the study has its label.
{{ study[0].cmd.split(" run -o ")[0] }} run -o aggregates
    {% endif %}
{% endblock footer %}
