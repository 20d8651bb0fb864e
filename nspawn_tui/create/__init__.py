"""Creating containers: bootstrap a tree, first-boot setup, a .nspawn file, enable, start.

Never imports Textual. Owns :mod:`.model` (the plan and progress types the UI
and the ``create`` command share), :mod:`.names` (machined's name rules and
names taken), :mod:`.bootstrap` (debootstrap, pacstrap, dnf: detection, argv,
the host's Debian mirror), :mod:`.repos` (what this host's dnf and pacman
install from and check with: repositories, Fedora keys, the pacman keyring;
the ``pacman.conf`` for a mirror), :mod:`.progress` (debootstrap's output as
stages and counts), :mod:`.pkgprogress` (dnf's and pacstrap's), :mod:`.firstboot` (password hashing, ``systemd-firstboot``, the
SSH key), :mod:`.nspawnfile` (the ``.nspawn`` file), :mod:`.checks` (every
refusal before anything runs), :mod:`.remove` (removing a half-made tree
safely) and :mod:`.runner` (the steps run on this machine, cancel and undo).
May import the Host interface (:mod:`nspawn_tui.host.base`,
:mod:`nspawn_tui.host.images`), :mod:`nspawn_tui.nspawn` (the settings
model), :mod:`nspawn_tui.images` (image name rules), :mod:`nspawn_tui.units`
and :mod:`nspawn_tui.safe`.  The real work runs behind
``Host.create_container`` (``nspawn_tui.host.base``).
"""
