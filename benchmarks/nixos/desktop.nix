# A desktop-like NixOS system: X11 with the Xfce desktop and LightDM, a Sway
# (Wayland) session beside it, NetworkManager, PipeWire (with its PulseAudio
# and ALSA front ends), fonts, printing, Bluetooth, SSH and a few users.
# Evaluates to the .drv path of the whole system; benchmarks/bench.py times it.
let
  nixos = import <nixpkgs/nixos> {
    configuration = { pkgs, lib, ... }: {
      imports = [ ./common.nix ];
      # pandoc is a Haskell program too (Xfce's editor reaches it through
      # enchant and nuspell's manual pages): a stand-in, like shellcheck's
      nixpkgs.overlays = [
        (self: super: {
          pandoc = derivation {
            name = "pandoc-stub"; system = "x86_64-linux"; builder = "/bin/sh";
            args = [ "-c" "echo stub > $out" ];
          };
        })
      ];
      boot.loader.systemd-boot.enable = true;
      boot.loader.efi.canTouchEfiVariables = true;
      fileSystems."/" = { device = "/dev/disk/by-label/nixos"; fsType = "ext4"; };
      fileSystems."/boot" = { device = "/dev/disk/by-label/boot"; fsType = "vfat"; };
      swapDevices = [ { device = "/dev/disk/by-label/swap"; } ];

      networking.hostName = "desk";
      networking.networkmanager.enable = true;
      # only the OpenVPN plugin: the OpenConnect one pulls in pandoc (Haskell)
      networking.networkmanager.plugins = lib.mkForce [ pkgs.networkmanager-openvpn ];
      networking.firewall.allowedTCPPorts = [ 22 ];
      time.timeZone = "Europe/Paris";
      i18n.defaultLocale = "fr_FR.UTF-8";

      services.xserver.enable = true;
      services.xserver.xkb.layout = "fr";
      services.xserver.desktopManager.xfce.enable = true;
      services.xserver.displayManager.lightdm.enable = true;
      programs.sway.enable = true;

      security.rtkit.enable = true;
      hardware.pulseaudio.enable = false;
      services.pipewire = {
        enable = true;
        alsa.enable = true;
        pulse.enable = true;
      };
      hardware.bluetooth.enable = true;
      services.printing.enable = true;
      services.avahi.enable = true;
      services.openssh.enable = true;

      fonts.packages = with pkgs; [ dejavu_fonts noto-fonts liberation_ttf ];
      fonts.fontconfig.defaultFonts.monospace = [ "DejaVu Sans Mono" ];

      programs.firefox.enable = true;
      environment.systemPackages = with pkgs; [ git vim curl htop ];

      users.users = {
        alice = { isNormalUser = true; extraGroups = [ "wheel" "networkmanager" "audio" ]; };
        bob = { isNormalUser = true; extraGroups = [ "networkmanager" ]; };
        carol = { isNormalUser = true; description = "Carol"; };
      };
    };
  };
in
nixos.config.system.build.toplevel.drvPath
