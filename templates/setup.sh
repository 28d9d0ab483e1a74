{#
    The software environment of every job script: edit this file for your cluster.

    It is rendered after `cd <project directory>` and before the operations. The operations
    run with the Python interpreter that ran `python project.py submit` (the `executable`
    directive); sbatch passes on the environment of the submitting shell by default, so a
    virtual environment that is active at submission is active in the job. Put here what
    that does not cover, for example:

        module load gcc/13 cuda/12.4
        source "$HOME/miniforge3/etc/profile.d/conda.sh"
        conda activate mesocrystal
#}
# Software environment (templates/setup.sh).
export PYTHONUNBUFFERED=1
