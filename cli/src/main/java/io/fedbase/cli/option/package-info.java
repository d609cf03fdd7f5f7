/** The option groups the commands mix in, each turning its flags into the library's settings. */
package io.fedbase.cli.option;
