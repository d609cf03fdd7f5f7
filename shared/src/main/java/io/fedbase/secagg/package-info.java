/**
 * Secure aggregation after Bonawitz et al., "Practical Secure Aggregation for Privacy-Preserving
 * Machine Learning" (CCS '17), without transport: the coordinator learns the sum of the
 * surviving nodes' clipped deltas and nothing else about any one of them.
 *
 * <p>One round, as the transport drives it ({@link io.fedbase.secagg.SecAggClient} on each node,
 * {@link io.fedbase.secagg.SecAggServer} on the coordinator, both built from the same
 * {@link io.fedbase.secagg.RoundConfig}):
 *
 * <ol start="0">
 *   <li>node → coordinator: {@link io.fedbase.secagg.KeyAdvertisement}; coordinator → every
 *       advertiser: all advertisements (U1).
 *   <li>node → coordinator: a list of {@link io.fedbase.secagg.EncryptedShare}, one per other node
 *       of U1; coordinator → each node of U2 (nodes that sent shares): the shares addressed to it.
 *   <li>node → coordinator: the masked input, int32 little-endian, streamed in chunks;
 *       coordinator → every survivor (U3): an {@link io.fedbase.secagg.UnmaskRequest}.
 *   <li>survivor → coordinator: an {@link io.fedbase.secagg.UnmaskResponse}; the coordinator
 *       then removes the remaining masks and decodes the float sum.
 * </ol>
 *
 * <p>Guarantees, and their limits: key advertisements are signed with the nodes' certificate
 * keys, so the coordinator cannot substitute keys, replay them across rounds or show nodes
 * different participant lists; shares are end-to-end encrypted between nodes; with the
 * threshold above half the participants, no set of honest answers gives the coordinator both
 * secrets of one node, so it cannot unmask an individual input even by lying about who dropped.
 * Not covered: a node that feeds garbage (the sum is then wrong: masked inputs cannot be range-
 * checked), a coordinator that drops honest nodes' messages (the round fails), and more than
 * {@code 2·threshold - n - 1} nodes colluding with the coordinator (colluders reveal both secrets).
 */
package io.fedbase.secagg;
