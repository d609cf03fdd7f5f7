/** The commands a user runs: the federation (coordinator, node, CA, admin, status, prior) and the data path (adapt, train, evaluate, meta-train, demo). */
package io.fedbase.cli.command;
