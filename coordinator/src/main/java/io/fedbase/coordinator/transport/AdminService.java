package io.fedbase.coordinator.transport;

import io.fedbase.coordinator.round.RoundCoordinator;
import io.fedbase.coordinator.store.OperatorControls;
import io.fedbase.proto.v1.AdminGrpc;
import io.fedbase.proto.v1.AdminState;
import io.fedbase.proto.v1.PauseRoundsRequest;
import io.fedbase.proto.v1.ReadmitNodeRequest;
import io.fedbase.proto.v1.RemoveNodeRequest;
import io.fedbase.proto.v1.ResumeRoundsRequest;
import io.fedbase.proto.v1.RollbackPriorRequest;
import io.fedbase.proto.v1.RollbackPriorResponse;
import io.fedbase.wire.Refusal;
import io.fedbase.wire.WireText;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;

/**
 * The operator's calls, translated to the round coordinator. Who may call them is decided by
 * {@link AccessControl} (operators only), not here.
 */
final class AdminService extends AdminGrpc.AdminImplBase {

  /** One operator action that may fail to persist. */
  private interface Action {
    OperatorControls apply() throws IOException;
  }

  private final RoundCoordinator coordinator;

  AdminService(RoundCoordinator coordinator) {
    this.coordinator = coordinator;
  }

  @Override
  public void pauseRounds(PauseRoundsRequest request, StreamObserver<AdminState> response) {
    answer(() -> coordinator.pauseRounds(request.getReason()), response);
  }

  @Override
  public void resumeRounds(ResumeRoundsRequest request, StreamObserver<AdminState> response) {
    answer(coordinator::resumeRounds, response);
  }

  @Override
  public void removeNode(RemoveNodeRequest request, StreamObserver<AdminState> response) {
    answer(() -> coordinator.removeNode(request.getNodeId(), request.getReason()), response);
  }

  @Override
  public void readmitNode(ReadmitNodeRequest request, StreamObserver<AdminState> response) {
    answer(() -> coordinator.readmitNode(request.getNodeId()), response);
  }

  @Override
  public void rollbackPrior(RollbackPriorRequest request, StreamObserver<RollbackPriorResponse> response) {
    CompletableFuture<RoundCoordinator.RolledBack> done;
    try {
      done = coordinator.rollback(request.getToVersion(), WireText.line(request.getReason(), WireText.FIELD));
    } catch (IllegalArgumentException e) {
      response.onError(Refusal.MALFORMED.exception(e.getMessage()));
      return;
    } catch (NoSuchElementException e) {
      response.onError(Refusal.NO_SUCH_VERSION.exception(e.getMessage()));
      return;
    } catch (IllegalStateException e) {
      response.onError(Refusal.UNAVAILABLE.exception(e.getMessage()));
      return;
    }
    done.whenComplete(
        (rolledBack, failure) -> {
          if (failure != null) {
            response.onError(Refusal.UNAVAILABLE.exception("the rollback was not written: " + failure.getMessage()));
            return;
          }
          response.onNext(
              RollbackPriorResponse.newBuilder()
                  .setVersion(rolledBack.version())
                  .setRestoredVersion(rolledBack.restored())
                  .setSha256(rolledBack.sha256())
                  .build());
          response.onCompleted();
        });
  }

  private static void answer(Action action, StreamObserver<AdminState> response) {
    OperatorControls controls;
    try {
      controls = action.apply();
    } catch (IllegalArgumentException e) {
      response.onError(Refusal.MALFORMED.exception(e.getMessage()));
      return;
    } catch (IOException e) {
      response.onError(Refusal.UNAVAILABLE.exception("cannot persist the change: " + e.getMessage()));
      return;
    }
    response.onNext(ProtoMapping.adminState(controls));
    response.onCompleted();
  }
}
