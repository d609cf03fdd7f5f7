package io.fedbase.node.transport;

import io.fedbase.space.SupernetSpec;

/** What Join returns: the model to train, the coordinator's newest prior version and its policy. */
public record JoinedModel(SupernetSpec spec, long priorVersion, int minNodes, int quorum, int deadlineSeconds) {}
