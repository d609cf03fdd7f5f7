/**
 * What coordinator and nodes agree on about meta-learning, without the engine: the inner loop's
 * settings and relaxation a round assigns, and the outer meta-update with its schedules (plain
 * arithmetic on bundles). The coordinator needs only this; the training itself is in
 * {@code io.fedbase.learn} and {@code io.fedbase.supernet}.
 */
package io.fedbase.meta;
