{#
    SLURM job script for GPU clusters; CPU-only operations get no GPU line.

    The number of GPUs comes from the ngpu directive of the operations (summed over a
    parallel bundle, the largest of a serial one) and is requested with --gpus=N, or with
    --gres=gpu:N when gpu_flag is "gres" (submit --gpu-flag gres, or $MESOCRYSTAL_GPU_FLAG).
    In a parallel bundle, each operation is pinned to one of the job's GPUs in turn.
#}
{% extends "slurm-cpu.sh" %}
{% block gpus %}
    {% if resources.ngpu_tasks > 0 %}
        {% if gpu_flag|default("gpus", true) == "gres" %}
#SBATCH --gres=gpu:{{ resources.ngpu_tasks }}
        {% else %}
#SBATCH --gpus={{ resources.ngpu_tasks }}
        {% endif %}
    {% endif %}
{% endblock gpus %}
{% block project_header %}
{{ super() -}}
    {% if parallel and resources.ngpu_tasks > 0 %}
# The GPUs of this job; operation i of the bundle runs on GPU i modulo their number.
IFS=, read -r -a job_gpus <<< "${CUDA_VISIBLE_DEVICES:-0}"

    {% endif %}
{% endblock project_header %}
{% block pre_operation scoped %}
    {% if parallel and resources.ngpu_tasks > 0 and operation.directives.ngpu > 0 %}
export CUDA_VISIBLE_DEVICES="${job_gpus[$(( {{ loop.index0 }} % {{ "${#" }}job_gpus[@]} ))]}"
    {% endif %}
{% endblock pre_operation %}
