package io.fedbase.cli;

public final class FedbaseCli {
  public static void main(String[] args) {
    System.out.println("fedbase");
  }
}
