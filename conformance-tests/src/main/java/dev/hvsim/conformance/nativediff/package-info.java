/**
 * Native-differential ISA testing: random register/flag/data states and random sequences of
 * unprivileged integer instructions ({@link dev.hvsim.conformance.nativediff.IsaGenerator},
 * drawn from the {@link dev.hvsim.conformance.nativediff.Catalogue}) run on the host CPU
 * ({@link dev.hvsim.conformance.nativediff.NativeExecutor}) and on the model (any
 * {@link dev.hvsim.conformance.nativediff.IsaExecutor}), compared register by register with
 * {@link dev.hvsim.conformance.nativediff.Comparison}. See {@code conformance-tests/NATIVE-DIFF.md}.
 */
package dev.hvsim.conformance.nativediff;
