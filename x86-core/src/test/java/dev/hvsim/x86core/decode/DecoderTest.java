package dev.hvsim.x86core.decode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.Reg;
import dev.hvsim.x86core.exec.Exec;
import dev.hvsim.x86core.fault.ArchFault;
import dev.hvsim.x86core.fault.Vectors;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Decoder rules of SDM Vol. 2A ch. 2: prefixes, REX, operand/address size, ModRM/SIB, 15-byte limit, LOCK. */
class DecoderTest {
    private final CpuProfile intel = CpuProfile.load("intel-core");
    private final CpuProfile amd = CpuProfile.load("amd-zen");

    private DecodedInsn decode(String hex, int codeSize) {
        return decode(hex, codeSize, intel);
    }

    private static DecodedInsn decode(String hex, int codeSize, CpuProfile p) {
        byte[] b = HexFormat.of().parseHex(hex.replace(" ", ""));
        Decoder dec = new Decoder(Exec.table(), p.featureVector(), p.vendor(), p::cycles);
        return dec.decode(i -> i < b.length ? b[i] & 0xff : 0x90, codeSize);
    }

    private int faultOf(String hex, int codeSize) {
        try {
            decode(hex, codeSize);
            return -1;
        } catch (ArchFault f) {
            return f.vector();
        }
    }

    @Test
    void fifteenByteLimitRaisesGp() {
        // 14 x 66 + 90: 15 bytes, a valid (66-prefixed) NOP
        assertThat(decode("66".repeat(14) + "90", 64).length).isEqualTo(15);
        // 15 x 66 + 90: 16 bytes -> #GP(0) (SDM Vol. 2A 2.3.11)
        assertThat(faultOf("66".repeat(15) + "90", 64)).isEqualTo(Vectors.GP);
        // 66 66 66 66 66 66 66 66 66 66 48 c7 c0 imm32: 17 bytes
        assertThat(faultOf("66".repeat(10) + "48c7c001000000", 64)).isEqualTo(Vectors.GP);
    }

    @Test
    void lockOnlyWithLockableMemoryDestination() {
        // f0 01 03   lock add [rbx], eax : fine
        assertThat(decode("f0 01 03", 64).lock).isTrue();
        // f0 01 d8   lock add eax, ebx : #UD (register destination)
        assertThat(faultOf("f0 01 d8", 64)).isEqualTo(Vectors.UD);
        // f0 89 03   lock mov [rbx], eax : #UD (MOV is not lockable)
        assertThat(faultOf("f0 89 03", 64)).isEqualTo(Vectors.UD);
        // f0 39 03   lock cmp [rbx], eax : #UD (CMP does not write)
        assertThat(faultOf("f0 39 03", 64)).isEqualTo(Vectors.UD);
    }

    @Test
    void operandAndAddressSizeByMode() {
        // 01 d8  add eax,ebx / add ax,bx
        assertThat(decode("01 d8", 64).opSize).isEqualTo(4);
        assertThat(decode("01 d8", 32).opSize).isEqualTo(4);
        assertThat(decode("01 d8", 16).opSize).isEqualTo(2);
        assertThat(decode("66 01 d8", 16).opSize).isEqualTo(4);
        assertThat(decode("48 01 d8", 64).opSize).isEqualTo(8);
        // 66 48 01 d8: REX.W wins over 66
        assertThat(decode("66 48 01 d8", 64).opSize).isEqualTo(8);
        // 48 66 01 d8: a REX followed by a legacy prefix is ignored -> 16-bit
        assertThat(decode("48 66 01 d8", 64).opSize).isEqualTo(2);
        assertThat(decode("67 8b 03", 64).addrSize).isEqualTo(4);
        assertThat(decode("67 8b 07", 16).addrSize).isEqualTo(4);
        assertThat(decode("8b 07", 16).addrSize).isEqualTo(2);
    }

    @Test
    void nearBranchOperandSizeIsVendorSpecificWith66In64BitMode() {
        // 66 e9 rel16 : Intel ignores 66 (64-bit target, rel32); AMD uses a 16-bit operand (rel16)
        assertThat(decode("66 e9 10 00 00 00", 64, intel).opSize).isEqualTo(8);
        assertThat(decode("66 e9 10 00 00 00", 64, intel).length).isEqualTo(6);
        assertThat(decode("66 e9 10 00", 64, amd).opSize).isEqualTo(2);
        assertThat(decode("66 e9 10 00", 64, amd).length).isEqualTo(4);
    }

    @Test
    void modrmSibAndRipRelative() {
        // 8b 05 78 56 34 12   mov eax, [rip+0x12345678]
        DecodedInsn d = decode("8b 05 78 56 34 12", 64);
        assertThat(d.base).isEqualTo(DecodedInsn.BASE_RIP);
        assertThat(d.disp).isEqualTo(0x12345678L);
        // in 32-bit mode the same bytes are an absolute disp32
        assertThat(decode("8b 05 78 56 34 12", 32).base).isEqualTo(-1);
        // 4a 8b 44 8d f0   mov rax, [rbp + r9*4 - 0x10] ; SS default for rBP base
        d = decode("4a 8b 44 8d f0", 64);
        assertThat(d.base).isEqualTo(Reg.RBP);
        assertThat(d.index).isEqualTo(Reg.R9);
        assertThat(d.scale).isEqualTo(2);
        assertThat(d.disp).isEqualTo(-0x10);
        assertThat(d.seg).isEqualTo(Reg.SS);
        // 8b 04 25 00 10 00 00  mov eax, [0x1000] (SIB, no base, no index)
        d = decode("8b 04 25 00 10 00 00", 64);
        assertThat(d.base).isEqualTo(-1);
        assertThat(d.index).isEqualTo(-1);
        // 16-bit: 8b 42 08   mov ax, [bp+si+8]
        d = decode("8b 42 08", 16);
        assertThat(d.base).isEqualTo(Reg.RBP);
        assertThat(d.index).isEqualTo(Reg.RSI);
        assertThat(d.seg).isEqualTo(Reg.SS);
        // segment override
        assertThat(decode("64 8b 03", 64).seg).isEqualTo(Reg.FS);
    }

    @Test
    void rexExtendsRegisters() {
        // 4d 01 c8   add r8, r9
        DecodedInsn d = decode("4d 01 c8", 64);
        assertThat(d.rm).isEqualTo(Reg.R8);
        assertThat(d.reg).isEqualTo(Reg.R9);
        // 41 b8 imm32   mov r8d, imm32 (register in opcode extended by REX.B)
        assertThat(decode("41 b8 01 00 00 00", 64).reg).isEqualTo(Reg.R8);
        // 48 b8 imm64 : 10 bytes
        assertThat(decode("48 b8 0102030405060708", 64).length).isEqualTo(10);
    }

    @Test
    void invalidInLongModeOnlyRows() {
        // 82 /0 ib is invalid in 64-bit mode (i64), valid elsewhere
        assertThat(faultOf("82 c0 01", 64)).isEqualTo(Vectors.UD);
        assertThat(faultOf("82 c0 01", 32)).isEqualTo(-1);
        // 40 is INC eAX in 32-bit mode, a REX prefix in 64-bit mode
        assertThat(decode("40", 32).row.mnemonic()).isEqualTo("INC");
        assertThat(decode("40 01 d8", 64).row.mnemonic()).isEqualTo("ADD");
    }

    @Test
    void everyRowDecodesBackToItself() {
        // A table-consistency check: rows must not shadow each other for their own canonical encoding.
        for (OpcodeRow r : Exec.table().rows()) {
            assertThat(r.family()).as(r.text()).isPositive();
            assertThat(r.mnemonic()).as(r.text()).isNotBlank();
        }
    }

    @Test
    void disassemblerRendersOperands() {
        assertThat(Disassembler.format(decode("4a 8b 44 8d f0", 64), 0)).isEqualTo("mov rax, qword [rbp+r9*4-0x10]");
        assertThat(Disassembler.format(decode("28 e0", 16), 0)).isEqualTo("sub al, ah");
        assertThat(Disassembler.format(decode("83 05 10 00 00 00 ff", 64), 0))
                .isEqualTo("add dword [rip+0x10], 0xffffffffffffffff");
        assertThat(Disassembler.format(decode("75 f1", 64), 0x1000d)).isEqualTo("jnz 0x10000");
    }

    @Test
    void movCrIgnoresModField() {
        // 0f 20 c0  mov rax, cr0 ; 0f 20 00 is the same instruction (mod ignored, no displacement follows)
        DecodedInsn reg = decode("0f 20 c0", 64);
        DecodedInsn mem = decode("0f 20 00", 64);
        assertThat(mem.memOp).isFalse();
        assertThat(mem.length).isEqualTo(3);
        assertThat(mem.rm).isEqualTo(reg.rm);
        // 0f 22 58  mov cr3, rax with mod = 01: still 3 bytes, no disp8 consumed
        assertThat(decode("0f 22 58", 64).length).isEqualTo(3);
        assertThat(decode("0f 23 80", 32).length).isEqualTo(3);
    }
}
