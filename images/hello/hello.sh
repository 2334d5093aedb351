cat <<'MESSAGE'

Hello from tsdocker!
This message shows that your installation appears to be working correctly.

To generate this message, tsdocker took the following steps:
 1. It read the image's configuration and layers from its store (pulled from a registry,
    or built from images/hello/Dockerfile).
 2. It stacked the layers in an overlayfs mount: the container's root file system.
 3. It cloned a process into new namespaces, put it in a cgroup, switched its root with
    pivot_root, and executed "sh /hello.sh", which printed this message to your terminal.

To see every one of those steps:
 $ tsdocker --trace run --rm hello

To try something more ambitious, run a shell in a container:
 $ tsdocker run -it ubuntu:20.04 bash

MESSAGE
