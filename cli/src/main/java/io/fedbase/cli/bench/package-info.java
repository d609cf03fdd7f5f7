/** The benchmarks ({@code fedbase bench ...}): each ends with one JSON line carrying its provenance. */
package io.fedbase.cli.bench;
