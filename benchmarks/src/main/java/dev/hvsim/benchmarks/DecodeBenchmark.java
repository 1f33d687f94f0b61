package dev.hvsim.benchmarks;

import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.decode.DecodedInsn;
import dev.hvsim.x86core.decode.Decoder;
import java.io.OutputStream;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The decoder alone (what a decode-cache miss costs): one 32-bit instruction decoded from a byte
 * array, nanoseconds per decode.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DecodeBenchmark {
    /** add eax,ecx / mov eax,[disp32] / sub ecx,1 / jnz rel32 / o16 mov ax,imm16 / lock add [ebx+esi*4+8],eax. */
    @Param({"01c8", "8b0500000040", "83e901", "0f85f6ffffff", "66b82a00", "f00144b308"})
    public String bytes;

    private Decoder decoder;
    private Decoder.Fetcher fetcher;

    @Setup
    public void setUp() {
        Machine m = new Machine(MachineConfig.of(CpuProfile.load("intel-core"), OutputStream.nullOutputStream()));
        decoder = m.cpu().decoder();
        byte[] code = HexFormat.of().parseHex(bytes);
        fetcher = i -> i < code.length ? code[i] & 0xff : 0x90;
    }

    @Benchmark
    public DecodedInsn decode() {
        return decoder.decode(fetcher, 32);
    }
}
