{#
    SLURM job script for CPU work: LAMMPS simulations, analysis, rendering.

    Extends signac-flow's slurm.sh, which writes the job name, --mem (memory directive),
    --partition and -t (walltime directive). This template adds the CPU layout, the account,
    the output path and the software environment of templates/setup.sh.

    Variables: partition, account (submit --partition/--account, or $SBATCH_PARTITION and
    $SBATCH_ACCOUNT), job_output (submit --job-output).
#}
{% extends "slurm.sh" %}
{% set includes_setup = true %}
{% set script_jobs = operations|map(attribute='_jobs')|map('list')|sum(start=[]) %}
{% if not job_output %}
    {% set log_name = operations|map(attribute='name')|unique|join('+') ~ "-%j.out" %}
    {% if script_jobs|map(attribute='id')|unique|list|length == 1 %}
        {# All operations of this script belong to one signac job: log next to its data. #}
        {% set job_output = script_jobs[0].path ~ "/" ~ log_name %}
    {% else %}
        {# A bundle or an aggregate of several signac jobs: log in the project directory. #}
        {% set job_output = project.path ~ "/" ~ log_name %}
    {% endif %}
{% endif %}
{% block tasks %}
    {% set nranks = operations|calc_tasks("nranks", parallel, force) %}
    {% set ntasks = [nranks, 1]|max %}
    {% set cpus_per_task = ((resources.ncpu_tasks + ntasks - 1) // ntasks, 1)|max %}
#SBATCH --nodes={{ resources.num_nodes }}
#SBATCH --ntasks={{ ntasks }}
#SBATCH --cpus-per-task={{ cpus_per_task }}
    {% block gpus %}
        {% if resources.ngpu_tasks > 0 %}
            {% raise "These operations request GPUs (ngpu directive): submit with a GPU template, e.g. --template slurm-gpu.sh." %}
        {% endif %}
    {% endblock gpus %}
    {% if not account %}
        {% set account = project|get_account_name %}
    {% endif %}
    {% if account %}
#SBATCH --account={{ account }}
    {% endif %}
{% endblock tasks %}
{% block custom_content %}
{% include "setup.sh" %}

{% endblock custom_content %}
