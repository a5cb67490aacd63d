#!/bin/bash
# An existing Slurm batch script, unchanged: schedctl reads its #SBATCH lines.
#SBATCH --job-name=llama-finetune
#SBATCH --gres=gpu:8
#SBATCH --cpus-per-task=32
#SBATCH --mem=512G
#SBATCH --time=00:20:00
#SBATCH --account=etf
#SBATCH --output=llama-%j.out

echo "rank 0 of $RASPORED_NODELIST with GPUs $CUDA_VISIBLE_DEVICES, NCCL HCAs $NCCL_IB_HCA"
sleep 30
echo "done"
