package dev.hvsim.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The JMH settings of the guest-MIPS benchmarks ({@link GuestMipsBenchmark}, {@link Bench64Benchmark}):
 * throughput per thread, one operation per guest instruction (each benchmark method says how many with
 * {@code @OperationsPerInvocation}), scores in operations per microsecond, i.e. millions of guest
 * instructions per second; 3 warm-up and 5 measured iterations of 2 s in one fork. JMH's annotations are
 * {@code @Inherited}, so a subclass gets them all.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
abstract class MipsBenchmark {
}
