package dev.hvsim.tools;

import dev.hvsim.machine.load.Multiboot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code --append} and {@code --initrd} give a multiboot kernel, with QEMU's meaning: the command
 * line is "KERNEL ARGS" (the kernel path as given, then the {@code --append} text); {@code --initrd}
 * is a comma-separated list of modules, each "FILE [ARGS]", whose whole text becomes the module's
 * command line.
 *
 * @param name    the kernel path as given on the command line
 * @param append  the {@code --append} text ("" when absent)
 * @param modules the loaded modules
 * @param given   whether {@code --append} or {@code --initrd} was used
 */
record MultibootArgs(String name, String append, List<Multiboot.Module> modules, boolean given) {

    MultibootArgs(String name, String append, List<Multiboot.Module> modules) {
        this(name, append, modules, false);
    }

    /** Reads the module files; a missing or unreadable one is a one-line error. */
    static MultibootArgs of(Path kernel, String append, String initrd) throws BadInputException {
        List<Multiboot.Module> mods = new ArrayList<>();
        if (initrd != null) {
            for (String spec : initrd.split(",")) {
                String text = spec.trim();
                if (text.isEmpty()) {
                    throw new BadInputException("bad --initrd value '" + initrd + "': empty module");
                }
                String file = text.split("\\s+", 2)[0];
                mods.add(new Multiboot.Module(readModule(Path.of(file)), text));
            }
        }
        return new MultibootArgs(kernel.toString(), append == null ? "" : append, mods,
                append != null || initrd != null);
    }

    private static byte[] readModule(Path file) throws BadInputException {
        try {
            if (Files.isDirectory(file)) {
                throw new BadInputException("cannot read initrd " + file + ": it is a directory");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new BadInputException("cannot read initrd " + file + ": no such file");
        } catch (IOException | OutOfMemoryError e) {
            throw new BadInputException("cannot read initrd " + file + ": " + e.getMessage());
        }
    }
}
