package dev.hvsim.x86core;

import java.util.List;
import java.util.ServiceLoader;

/** The {@link CpuExtension.Provider}s on the class path, loaded once (an immutable list). */
final class ExtensionProviders {
    static final List<CpuExtension.Provider> ALL = ServiceLoader.load(CpuExtension.Provider.class).stream()
            .map(ServiceLoader.Provider::get).toList();

    private ExtensionProviders() {}
}
