package io.fedbase.node.runtime;

import io.fedbase.supernet.Devices;

/**
 * The device a node's adaptations run on, as its worker (or the node itself, inline) picked it.
 *
 * @param name {@code cpu} or {@code gpu0}
 * @param choice what {@code --device} asked for: auto, cpu or gpu
 * @param libtorch the libtorch version loaded
 * @param description one line for people (see {@link Devices.Selected#describe()})
 */
public record TrainingDevice(String name, String choice, String libtorch, String description) {

  public static TrainingDevice of(Devices.Selected selected) {
    return new TrainingDevice(selected.name(), selected.choice(), selected.libtorch(), selected.describe());
  }
}
