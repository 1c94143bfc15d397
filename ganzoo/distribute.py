"""Scale-out and precision settings for training, on tf.distribute and Keras dtype policies.

Every variant's `train_step` is replica-safe through the shared base (`GAN.descend` divides
each replica's loss by the number of replicas before the optimizer's all-reduce sum;
`GAN.draw_per_example` gives each replica its own slice of the global batch's noise; loss
trackers are Keras metrics, which sum over replicas when read). So distributing a run is only:

    strategy = make_strategy("mirrored")          # all local GPUs (or CPUs split for tests)
    with strategy.scope():
        model = ganzoo.build("dcgan-anime")
    model.fit(dataset)                           # dataset batches are the GLOBAL batch

Multi-host: run the same command on every host with TF_CONFIG describing the cluster
(docs/distributed.md); only the chief (worker 0) writes checkpoints.
"""
import json
import logging
import os

import tensorflow as tf

log = logging.getLogger("ganzoo")

STRATEGIES = ("default", "mirrored", "multiworker", "tpu")
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
# CPU flags (Linux /proc/cpuinfo names) that make bfloat16 native rather than emulated.
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def parse_tf_config(text=None):
    """TF_CONFIG as a dict, validated enough to give a clear message instead of a gRPC
    failure: {"cluster": {"worker": ["host:port", ...]}, "task": {"type": ..., "index": i}}."""
    text = os.environ.get("TF_CONFIG", "") if text is None else text
    if not text:
        raise ValueError("The multiworker strategy needs TF_CONFIG, e.g. "
                         '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                         '"task": {"type": "worker", "index": 0}}.')
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"TF_CONFIG is not valid JSON ({error}): {text!r}") from None
    cluster, task = config.get("cluster"), config.get("task")
    if not isinstance(cluster, dict) or not cluster or not isinstance(task, dict):
        raise ValueError(f"TF_CONFIG needs a 'cluster' dict of job -> addresses and a 'task' "
                         f"dict with 'type' and 'index'; got {text!r}.")
    job, index = task.get("type"), task.get("index")
    if job not in cluster or not isinstance(index, int) or not 0 <= index < len(cluster[job]):
        raise ValueError(f"TF_CONFIG task {task} does not name a member of the cluster "
                         f"{cluster}.")
    for name, addresses in cluster.items():
        for address in addresses:
            host, _, port = str(address).rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"TF_CONFIG cluster {name!r} address {address!r} must be "
                                 f"host:port.")
    return config


def make_strategy(name="default"):
    """A tf.distribute strategy by name: default (one device), mirrored (all local devices),
    multiworker (hosts listed in TF_CONFIG), tpu (a TPU found by TPUClusterResolver)."""
    if name not in STRATEGIES:
        raise ValueError(f"Unknown strategy {name!r}; choose from {', '.join(STRATEGIES)}.")
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        cpus = tf.config.list_logical_devices("CPU")
        # With no GPU, mirror over the logical CPUs (one unless the CPU was split).
        return tf.distribute.MirroredStrategy(None if gpus else [d.name for d in cpus])
    if name == "multiworker":
        parse_tf_config()
        return tf.distribute.MultiWorkerMirroredStrategy()
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)


def is_chief(strategy):
    """True on the one process that should write checkpoints and samples."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    return resolver.task_type == "chief" or (
        resolver.task_type == "worker" and resolver.task_id == 0
        and "chief" not in resolver.cluster_spec().as_dict())


def check_global_batch(batch_size, strategy):
    """The global batch must split evenly over the replicas (each computes a batch mean)."""
    replicas = strategy.num_replicas_in_sync
    if batch_size % replicas:
        lower = max(replicas, batch_size // replicas * replicas)
        raise ValueError(f"Batch size {batch_size} does not split evenly over {replicas} "
                         f"replicas; use a multiple of {replicas}, e.g. {lower} or "
                         f"{lower + replicas}.")


def cpu_has_native_bfloat16(cpuinfo="/proc/cpuinfo"):
    """True when the CPU has AVX512_BF16 or AMX-BF16, False when its flags say neither,
    None when they cannot be read (not Linux)."""
    try:
        with open(cpuinfo) as f:
            text = f.read()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("flags"):
            return any(flag in line.split(":", 1)[1].split() for flag in NATIVE_BF16_FLAGS)
    return None


def auto_precision():
    """The fastest policy for this machine: mixed_float16 on a GPU, mixed_bfloat16 on a CPU
    with native bfloat16, else float32 (emulated bfloat16 is several times slower)."""
    if tf.config.list_physical_devices("GPU"):
        return "mixed_float16"
    return "mixed_bfloat16" if cpu_has_native_bfloat16() else "float32"


def set_precision(precision):
    """Sets the Keras global dtype policy. Networks keep float32 outputs and losses (their
    last layers are float32), and the base class scales float16 losses through the
    optimizer's loss scale. "auto" picks `auto_precision()`. Returns the policy actually
    used: float16 needs a GPU, so on a machine without one this warns and trains in
    float32. bfloat16 on a CPU without native support is kept (a run's precision is part
    of it) but warned about: measured 8x slower than float32 there (docs/benchmarks.md)."""
    import keras

    if precision == "auto":
        precision = auto_precision()
        log.info("--precision auto: %s", precision)
    if precision not in PRECISIONS:
        raise ValueError(f"Unknown precision {precision!r}; choose from "
                         f"{', '.join(PRECISIONS + ('auto',))}.")
    has_gpu = bool(tf.config.list_physical_devices("GPU"))
    if precision == "mixed_float16" and not has_gpu:
        log.warning("mixed_float16 needs a GPU (float16 is emulated, slowly, on CPUs); "
                    "training in float32 instead. Use mixed_bfloat16 on CPUs with AVX512_BF16 "
                    "or AMX.")
        precision = "float32"
    if precision == "mixed_bfloat16" and not has_gpu and cpu_has_native_bfloat16() is False:
        log.warning("mixed_bfloat16 on a CPU without AVX512_BF16 or AMX-BF16: bfloat16 is "
                    "emulated here, measured 8x slower than float32 on such a CPU. Use "
                    "--precision float32 (or auto) unless you must match a bfloat16 run.")
    keras.mixed_precision.set_dtype_policy(precision)
    return precision
