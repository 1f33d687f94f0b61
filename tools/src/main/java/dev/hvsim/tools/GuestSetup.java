package dev.hvsim.tools;

import dev.hvsim.machine.Machine;
import dev.hvsim.machine.MachineConfig;
import dev.hvsim.machine.load.ElfLoader;
import dev.hvsim.machine.load.LoadException;
import dev.hvsim.machine.load.LoadedImage;
import dev.hvsim.x86core.CpuProfile;
import dev.hvsim.x86core.Vendor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import dev.hvsim.machine.load.Multiboot;

/** Turns command-line choices (vendor, profile, memory, guest file, load mode) into a loaded machine. */
final class GuestSetup {
    private GuestSetup() {}

    /**
     * The CPU profile: {@code --profile} if given (and then {@code --vendor} must agree), else the
     * default profile of {@code --vendor}, else Intel's.
     */
    static CpuProfile profile(Vendor vendor, String profileName) throws BadInputException {
        if (profileName == null) {
            return CpuProfile.forVendor(vendor == null ? Vendor.INTEL : vendor);
        }
        CpuProfile p;
        try {
            p = CpuProfile.load(profileName);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
        if (vendor != null && p.vendor() != vendor) {
            throw new BadInputException("--profile " + profileName + " is an " + vendorName(p.vendor()) + " profile but --vendor "
                    + vendor.name().toLowerCase() + " was given");
        }
        return p;
    }

    private static String vendorName(Vendor v) {
        return v == Vendor.INTEL ? "Intel" : "AMD";
    }

    /** A machine with {@code memMiB} MiB writing guest output to {@code out}. */
    static Machine machine(CpuProfile profile, long memMiB, OutputStream out) throws BadInputException {
        return machine(profile, memMiB, 1, out);
    }

    /** A machine with {@code memMiB} MiB and {@code cpus} CPUs writing guest output to {@code out}. */
    static Machine machine(CpuProfile profile, long memMiB, int cpus, OutputStream out) throws BadInputException {
        if (cpus < 1 || cpus > MachineConfig.MAX_CPUS) {
            throw new BadInputException("bad --smp value " + cpus + ": the number of CPUs must be 1.."
                    + MachineConfig.MAX_CPUS);
        }
        try {
            return new Machine(new MachineConfig(profile, memMiB, out, cpus));
        } catch (IllegalArgumentException e) {
            throw new BadInputException("bad --mem value: " + e.getMessage());
        }
    }

    /** Reads a guest file, with one-line errors for the usual problems. */
    static byte[] read(Path file) throws BadInputException {
        try {
            if (Files.isDirectory(file)) {
                throw new BadInputException("cannot read guest " + file + ": it is a directory");
            }
            if (Files.size(file) > Integer.MAX_VALUE - 16) {
                throw new BadInputException("guest " + file + " is too large (" + Files.size(file) + " bytes)");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new BadInputException("cannot read guest " + file + ": no such file");
        } catch (IOException e) {
            throw new BadInputException("cannot read guest " + file + ": " + e.getMessage());
        }
    }

    /** Loads {@code bytes} as {@code spec} says, starting at {@code entry} (-1: the image's own entry). */
    static LoadedImage load(Machine m, byte[] bytes, LoadSpec spec, long entry) throws BadInputException {
        return load(m, bytes, spec, entry, null);
    }

    /**
     * Loads {@code bytes} as {@code spec} says; a multiboot kernel ({@code --load multiboot}, or {@code auto}
     * and the file has a multiboot header) gets {@code boot}'s command line and modules.
     */
    static LoadedImage load(Machine m, byte[] bytes, LoadSpec spec, long entry, MultibootArgs boot)
            throws BadInputException {
        boolean multiboot = spec.kind() == LoadSpec.Kind.MULTIBOOT
                || (spec.kind() == LoadSpec.Kind.AUTO && boot != null && Multiboot.findHeader(bytes) != null);
        if (!multiboot && boot != null && boot.given()) {
            throw new BadInputException("--append and --initrd need a multiboot kernel, but " + boot.name()
                    + (spec.kind() == LoadSpec.Kind.AUTO ? " has no multiboot header" : " is not loaded as one"));
        }
        try {
            if (multiboot) {
                MultibootArgs b = boot == null ? new MultibootArgs("kernel", "", List.of()) : boot;
                return m.loadMultiboot(bytes, b.name(), b.append(), b.modules(), entry);
            }
            boolean elf = spec.kind() == LoadSpec.Kind.ELF
                    || (spec.kind() == LoadSpec.Kind.AUTO && ElfLoader.isElf(bytes));
            return elf ? m.loadElf(bytes, entry) : m.loadFlat(bytes, spec.address(), entry);
        } catch (LoadException e) {
            throw new BadInputException(e.getMessage());
        }
    }
}
