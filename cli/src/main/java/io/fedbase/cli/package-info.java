/**
 * The command line: {@link io.fedbase.cli.FedbaseCli} (every command) and {@link
 * io.fedbase.cli.CoordinatorMain} (the coordinator image's), the handling of errors and signals,
 * and what commands share (output directories, progress, curves, ports). Commands, option groups
 * and benchmarks have a package each.
 */
package io.fedbase.cli;
