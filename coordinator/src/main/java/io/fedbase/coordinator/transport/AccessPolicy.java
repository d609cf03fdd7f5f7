package io.fedbase.coordinator.transport;

import io.fedbase.proto.v1.FederationGrpc;
import io.fedbase.security.Role;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * Which roles may call which method: nodes join, watch and submit (as themselves: the request's
 * node id must be the certificate's); every authenticated role may read status and priors and
 * probe health; reflection and anything not listed (future admin calls) needs an operator.
 */
final class AccessPolicy {

  /** A method's allowed roles and whether its requests must name the caller's own node id. */
  record Rule(Set<Role> roles, boolean actsAsSelf) {}

  private static final Set<Role> ANY = EnumSet.allOf(Role.class);
  private static final Rule OPERATOR_ONLY = new Rule(EnumSet.of(Role.OPERATOR), false);

  private static final Map<String, Rule> RULES =
      Map.of(
          FederationGrpc.getJoinMethod().getFullMethodName(), new Rule(EnumSet.of(Role.NODE), true),
          FederationGrpc.getWatchRoundsMethod().getFullMethodName(), new Rule(EnumSet.of(Role.NODE), true),
          FederationGrpc.getSubmitUpdateMethod().getFullMethodName(), new Rule(EnumSet.of(Role.NODE), true),
          FederationGrpc.getSendSecureAggregationMethod().getFullMethodName(), new Rule(EnumSet.of(Role.NODE), true),
          FederationGrpc.getFetchPriorMethod().getFullMethodName(), new Rule(ANY, false),
          FederationGrpc.getGetStatusMethod().getFullMethodName(), new Rule(ANY, false),
          "grpc.health.v1.Health/Check", new Rule(ANY, false),
          "grpc.health.v1.Health/Watch", new Rule(ANY, false));

  private AccessPolicy() {}

  static Rule ruleFor(String fullMethodName) {
    return RULES.getOrDefault(fullMethodName, OPERATOR_ONLY);
  }
}
