#include "tools/host/host_checks.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include "tools/host/kernel_modules.hpp"
#include "vfio/kernel_log.hpp"
#include "vfio/text_parse.hpp"

namespace vfiokit::host {
namespace {

constexpr uint64_t kMemlockWarnBelow = 64ull << 20;

std::string mode_string(mode_t m) {
  std::string s = "---------";
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i)
    if (m & (1 << (8 - i))) s[i] = rwx[i];
  return s;
}

// "crw-rw---- root:kvm" of a device node, or empty when missing.
nlohmann::json node_facts(const HostFs& fs, const std::string& rel, std::string* line) {
  struct stat st {};
  const std::string p = fs.path(rel);
  if (::stat(p.c_str(), &st) != 0) return nullptr;
  const bool rw = ::access(p.c_str(), R_OK | W_OK) == 0;
  *line = fmt::format("/{} {} uid {} gid {}, {} by you", rel, mode_string(st.st_mode & 0777),
                      st.st_uid, st.st_gid, rw ? "read-write" : "NOT accessible");
  return {{"path", "/" + rel},
          {"mode", fmt::format("{:04o}", st.st_mode & 07777)},
          {"uid", st.st_uid},
          {"gid", st.st_gid},
          {"char_device", S_ISCHR(st.st_mode)},
          {"accessible", rw}};
}

// A node not under the root that the kernel announces in /sys/class/misc (the
// DaemonSet mounts no /dev): present, PASS, its mode and owner not checked.
check::Check node_seen_in_sysfs(check::Check r, const std::string& misc) {
  r.verdict = check::Verdict::kPass;
  r.summary = fmt::format(
      "present (the kernel's /sys/class/misc/{}; /dev is not visible here, "
      "so its mode and owner are not checked)",
      misc);
  r.data = {{"path", r.title}, {"seen_in", "/sys/class/misc/" + misc}, {"accessible", nullptr}};
  return r;
}

}  // namespace

MemlockLimit memlock_limit(const HostFs& fs) {
  MemlockLimit m;
  for (const auto& line : fs.lines("proc/self/limits")) {
    const auto soft = parse_limit_line(line, "Max locked memory");
    if (!soft) continue;
    m.known = true;
    if (*soft != UINT64_MAX) m.soft = *soft;
  }
  for (const auto& line : fs.lines("proc/self/status")) {
    if (line.rfind("CapEff:", 0) != 0) continue;
    m.cap_ipc_lock = (parse_u64(line.substr(7), 16).value_or(0) >> 14) & 1;  // CAP_IPC_LOCK
  }
  return m;
}

std::optional<std::string> cmdline_param(const HostFs& fs, const std::string& key) {
  std::optional<std::string> v;
  for (const auto& w : split_ws(fs.read("proc/cmdline").value_or("")))
    if (w.rfind(key + "=", 0) == 0) v = w.substr(key.size() + 1);
  return v;
}

// Interrupt lines whose chip is behind the remapping unit ("IR-IO-APIC",
// "IR-PCI-MSI-...", "INTEL-IR", "AMD-IR" in /proc/interrupts): evidence that an IOMMU
// is present and enabled for interrupts, whatever it does for DMA.
unsigned remapped_irq_lines(const HostFs& fs) {
  unsigned n = 0;
  for (const auto& line : fs.lines("proc/interrupts"))
    for (const auto& w : split_ws(line))
      if (w.rfind("IR-", 0) == 0 || w == "INTEL-IR" || w == "AMD-IR") {
        ++n;
        break;
      }
  return n;
}

// The kernel's own record (facility 0: nobody else can write one) that an IOMMU unit
// it found offers no DMA translation: VT-d's "dmarN: No supported address widths. Not
// attempting DMA translation." (drivers/iommu/intel/dmar.c, a SAGAW of 0: what QEMU's
// intel-iommu,dma-translation=off presents). Empty when there is none or the log
// cannot be read.
std::string no_translation_record(const HostFs& fs) {
  for (const auto& r : read_kernel_log(fs.path("dev/kmsg")))
    if (r.from_kernel() && r.text.find("Not attempting DMA translation") != std::string::npos)
      return r.text;
  return "";
}

// host.iommu when no group exists but the IOMMU remaps interrupts: it is present and
// on, and translates no DMA. Decided from the kernel's record or, without it, from an
// explicit request for translation that produced no group.
bool explain_untranslated(check::Check& r, const HostFs& fs, bool asked_on) {
  const unsigned ir = remapped_irq_lines(fs);
  const std::string record = ir ? no_translation_record(fs) : "";
  if (ir == 0 || (record.empty() && !asked_on)) return false;
  r.data["remapped_irq_lines"] = ir;
  r.data["dma_translation"] = false;
  if (!record.empty()) {
    r.data["kernel_record"] = record;
    r.summary = fmt::format(
        "the IOMMU is present and remaps interrupts ({} IR- lines) but translates no DMA; "
        "the kernel said: {}",
        ir, record);
    r.hint =
        "the IOMMU (or a VM's virtual IOMMU) offers no DMA translation, and no kernel "
        "parameter changes that: enable DMA remapping in the firmware (VT-d / AMD-Vi, \"DMA "
        "protection\"), or give the vIOMMU DMA translation (QEMU: "
        "intel-iommu,dma-translation=on); VFIO needs translation";
    return true;
  }
  r.summary = fmt::format(
      "the IOMMU remaps interrupts ({} IR- lines) but translates no DMA (no IOMMU groups), "
      "although the command line asks for it",
      ir);
  r.hint = "the kernel log says why (dmesg | grep -iE 'DMAR|AMD-Vi|IOMMU')";
  return true;
}

check::Check check_cpu_virtualization(const HostFs& fs) {
  check::Check r{
      "host.cpu_virtualization", "CPU virtualization", check::Verdict::kPass, "", "", {}};
  bool vmx = false, svm = false, seen = false;
  for (const auto& line : fs.lines("proc/cpuinfo")) {
    if (line.rfind("flags", 0) != 0) continue;
    seen = true;
    for (const auto& f : split_ws(line)) {
      vmx = vmx || f == "vmx";
      svm = svm || f == "svm";
    }
  }
  r.data = {{"vmx", vmx}, {"svm", svm}};
  if (!seen) {
    r.verdict = check::Verdict::kSkip;
    r.summary = "no CPU flags in /proc/cpuinfo";
    return r;
  }
  if (vmx || svm) {
    r.summary = vmx ? "Intel VT-x (vmx)" : "AMD-V (svm)";
    return r;
  }
  r.verdict = check::Verdict::kWarn;
  r.summary = "no vmx/svm flag: VMs cannot use hardware virtualization";
  r.hint = "enable VT-x/AMD-V in the firmware setup (userspace VFIO drivers work without it)";
  return r;
}

check::Check check_acpi_iommu_table(const HostFs& fs) {
  check::Check r{
      "host.acpi_iommu_table", "firmware IOMMU table", check::Verdict::kPass, "", "", {}};
  std::vector<std::string> found;
  for (const char* t : {"DMAR", "IVRS", "VIOT"})
    if (fs.exists(std::string("sys/firmware/acpi/tables/") + t)) found.push_back(t);
  r.data = {{"tables", found}};
  if (!found.empty()) {
    const std::string& t = found[0];
    r.summary = fmt::format("ACPI {} ({})", t,
                            t == "DMAR"   ? "Intel VT-d"
                            : t == "IVRS" ? "AMD-Vi"
                                          : "virtio-iommu");
    return r;
  }
  if (!fs.exists("sys/firmware/acpi/tables")) {
    r.verdict = check::Verdict::kSkip;
    r.summary = "no /sys/firmware/acpi/tables (not ACPI, or not root)";
    return r;
  }
  r.verdict = check::Verdict::kFail;
  r.summary = "no DMAR, IVRS or VIOT table: the firmware describes no IOMMU";
  r.hint = "enable VT-d / AMD-Vi (IOMMU) in the firmware setup";
  return r;
}

check::Check check_iommu_enabled(const HostFs& fs) {
  check::Check r{"host.iommu", "IOMMU enabled", check::Verdict::kPass, "", "", {}};
  const auto groups = fs.list("sys/kernel/iommu_groups");
  const auto units = fs.list("sys/class/iommu");
  const auto intel = cmdline_param(fs, "intel_iommu");
  const auto amd = cmdline_param(fs, "amd_iommu");
  const auto iommu = cmdline_param(fs, "iommu");
  std::vector<std::string> params;
  if (intel) params.push_back("intel_iommu=" + *intel);
  if (amd) params.push_back("amd_iommu=" + *amd);
  if (iommu) params.push_back("iommu=" + *iommu);
  // The default domain type of each group (sysfs `type`, Linux 5.11+): "DMA",
  // "DMA-FQ" (translated) or "identity" (iommu=pt), counted per type.
  nlohmann::json types = nlohmann::json::object();
  for (const auto& g : groups)
    if (const auto t = fs.read_line("sys/kernel/iommu_groups/" + g + "/type"))
      types[*t] = types.value(*t, 0) + 1;
  r.data = {{"groups", groups.size()},
            {"iommu_units", units},
            {"cmdline", params},
            {"domain_types", types}};
  const std::string shown = params.empty()
                                ? "no IOMMU parameters on the command line"
                                : fmt::format("command line: {}", fmt::join(params, " "));
  if (!groups.empty()) {
    r.summary = fmt::format("{} IOMMU groups, {} IOMMU unit(s); {}{}", groups.size(), units.size(),
                            shown, iommu == "pt" ? " (host DMA in passthrough mode)" : "");
    return r;
  }
  r.verdict = check::Verdict::kFail;
  r.summary = fmt::format("no IOMMU groups: the IOMMU is off; {}", shown);
  const auto first_on = [](const std::string& v) { return v.substr(0, v.find(',')); };
  const bool intel_on = intel && first_on(*intel) == "on";
  const bool off =
      (intel && first_on(*intel) == "off") || (amd && first_on(*amd) == "off") || iommu == "off";
  if (!off && explain_untranslated(r, fs, intel_on)) return r;
  if (intel && first_on(*intel) == "off")
    r.hint =
        "the kernel command line has intel_iommu=off (the last one wins): remove it or "
        "append intel_iommu=on";
  else if (amd && first_on(*amd) == "off")
    r.hint = "the kernel command line has amd_iommu=off: remove it";
  else if (iommu == "off")
    r.hint = "the kernel command line has iommu=off: remove it";
  else if (fs.exists("sys/firmware/acpi/tables/DMAR") && !intel_on)
    r.hint = "add intel_iommu=on to the kernel command line";
  else if (intel_on)
    r.hint = "intel_iommu=on is set: the kernel log says why no group was made (dmesg | grep DMAR)";
  else if (fs.exists("sys/firmware/acpi/tables/IVRS"))
    r.hint =
        "the AMD IOMMU is on by default (amd_iommu=on is no kernel option): dmesg | grep AMD-Vi "
        "says why it made no group";
  else
    r.hint =
        "enable VT-d / AMD-Vi in the firmware setup; on Intel with Linux before 6.8 also add "
        "intel_iommu=on (AMD's IOMMU is on by default)";
  return r;
}

check::Check check_interrupt_remapping(const HostFs& fs) {
  check::Check r{
      "host.interrupt_remapping", "interrupt remapping", check::Verdict::kPass, "", "", {}};
  // Method: an interrupt domain behind the remapping unit shows as "IR-..."
  // (IR-IO-APIC, IR-PCI-MSI-...) in /proc/interrupts; the VT-d ECAP register's
  // IR bit (3) tells whether the hardware could do it.
  const unsigned ir_lines = remapped_irq_lines(fs);
  bool hw_ir = false;
  std::vector<std::string> ecaps;
  for (const auto& unit : fs.list("sys/class/iommu")) {
    const auto ecap = fs.read_line("sys/class/iommu/" + unit + "/intel-iommu/ecap");
    if (!ecap) continue;
    ecaps.push_back(unit + ":" + *ecap);
    hw_ir = hw_ir || ((parse_u64(*ecap, 16).value_or(0) >> 3) & 1);
  }
  const bool unsafe =
      fs.read_line("sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts") == "Y" ||
      fs.read_line("sys/module/iommufd/parameters/allow_unsafe_interrupts") == "Y";
  r.data = {{"remapped_irq_lines", ir_lines},
            {"vtd_ecap", ecaps},
            {"vtd_ecap_ir", hw_ir},
            {"allow_unsafe_interrupts", unsafe},
            {"method", "/proc/interrupts IR- chips; VT-d ecap bit 3"}};
  if (ir_lines > 0) {
    r.summary =
        fmt::format("enabled ({} interrupt lines behind IR- chips in /proc/interrupts)", ir_lines);
    return r;
  }
  if (unsafe) {
    r.verdict = check::Verdict::kWarn;
    r.summary = "no interrupt remapping; VFIO accepts that only because allow_unsafe_interrupts=Y";
    r.hint =
        "a device can then inject arbitrary MSIs: enable interrupt remapping (x2APIC/IR "
        "in firmware) for untrusted guests";
    return r;
  }
  if (!fs.exists("proc/interrupts")) {
    r.verdict = check::Verdict::kSkip;
    r.summary = "no /proc/interrupts to inspect";
    return r;
  }
  r.verdict = check::Verdict::kFail;
  r.summary = hw_ir ? "the IOMMU supports interrupt remapping (ecap IR) but it is off"
                    : "no interrupt remapping: VFIO refuses to attach devices (EPERM)";
  r.hint = hw_ir ? "remove intremap=off / nointremap from the kernel command line"
                 : "enable interrupt remapping (VT-d/AMD-Vi with x2APIC) in firmware, or load "
                   "vfio_iommu_type1 with allow_unsafe_interrupts=1 (unsafe)";
  return r;
}

check::Check check_vfio_modules(const HostFs& fs) {
  check::Check r{"host.vfio_modules", "VFIO modules", check::Verdict::kPass, "", "", {}};
  std::vector<std::string> loaded, loadable, missing;
  nlohmann::json mods = nlohmann::json::object();
  bool backend = false;
  for (const char* name : {"vfio", "vfio-pci", "vfio_iommu_type1", "iommufd"}) {
    const ModuleState m = module_state(fs, name);
    mods[name] = {{"loaded", m.loaded}, {"builtin", m.builtin}, {"available", m.available}};
    (m.loaded ? loaded : m.usable() ? loadable : missing).push_back(name);
    if ((std::string(name) == "vfio_iommu_type1" || std::string(name) == "iommufd") && m.usable())
      backend = true;
  }
  r.data = {{"modules", mods}};
  r.summary = fmt::format("loaded: {}",
                          loaded.empty() ? "none" : fmt::format("{}", fmt::join(loaded, ", ")));
  if (!loadable.empty()) r.summary += fmt::format("; can be loaded: {}", fmt::join(loadable, ", "));
  if (!missing.empty()) r.summary += fmt::format("; missing: {}", fmt::join(missing, ", "));
  const auto is_missing = [&](const char* n) {
    return std::find(missing.begin(), missing.end(), n) != missing.end();
  };
  if (is_missing("vfio") || is_missing("vfio-pci") || !backend) {
    r.verdict = check::Verdict::kFail;
    r.hint =
        "this kernel lacks VFIO (CONFIG_VFIO, CONFIG_VFIO_PCI, CONFIG_VFIO_IOMMU_TYPE1 or "
        "CONFIG_IOMMUFD): install a kernel with them";
  } else if (std::find(loadable.begin(), loadable.end(), "vfio-pci") != loadable.end() ||
             std::find(loadable.begin(), loadable.end(), "vfio") != loadable.end()) {
    r.verdict = check::Verdict::kWarn;
    r.hint = "modprobe vfio-pci (vfiokit bind loads it)";
  }
  return r;
}

check::Check check_vfio_devnode(const HostFs& fs) {
  check::Check r{"host.dev_vfio", "/dev/vfio/vfio", check::Verdict::kPass, "", "", {}};
  std::string line;
  r.data = node_facts(fs, "dev/vfio/vfio", &line);
  if (r.data.is_null() && vfio_container_node_exists(fs)) return node_seen_in_sysfs(r, "vfio");
  if (r.data.is_null()) {
    r.data = nlohmann::json::object();
    const bool iommufd = iommufd_node_exists(fs);
    r.verdict = iommufd ? check::Verdict::kWarn : check::Verdict::kFail;
    r.summary = "missing: no legacy VFIO container";
    r.hint = iommufd ? "only the iommufd backend is available (--backend iommufd)"
                     : "modprobe vfio (CONFIG_VFIO_CONTAINER or "
                       "CONFIG_IOMMUFD_VFIO_CONTAINER)";
    return r;
  }
  r.summary = line;
  if (!r.data["accessible"].get<bool>()) {
    r.verdict = check::Verdict::kWarn;
    r.hint = "run vfiokit as root, or give your user access to /dev/vfio (udev rule)";
  }
  return r;
}

check::Check check_iommufd_devnode(const HostFs& fs) {
  check::Check r{"host.dev_iommu", "/dev/iommu", check::Verdict::kPass, "", "", {}};
  std::string line;
  r.data = node_facts(fs, "dev/iommu", &line);
  if (r.data.is_null() && iommufd_node_exists(fs)) return node_seen_in_sysfs(r, "iommu");
  if (r.data.is_null()) {
    r.data = nlohmann::json::object();
    r.verdict = check::Verdict::kSkip;
    r.summary = "missing: this kernel has no iommufd (the container backend is used)";
    r.hint = "modprobe iommufd where the kernel has CONFIG_IOMMUFD";
    return r;
  }
  r.summary = line;
  if (!r.data["accessible"].get<bool>()) {
    r.verdict = check::Verdict::kWarn;
    r.hint = "run vfiokit as root, or give your user access to /dev/iommu (udev rule)";
  }
  return r;
}

check::Check check_memlock(const HostFs& fs) {
  check::Check r{"host.memlock", "RLIMIT_MEMLOCK", check::Verdict::kPass, "", "", {}};
  const MemlockLimit m = memlock_limit(fs);
  r.data = {{"limit_bytes", m.soft ? nlohmann::json(*m.soft) : nlohmann::json(nullptr)},
            {"cap_ipc_lock", m.cap_ipc_lock}};
  const std::string lim = !m.known ? "unknown" : m.soft ? human_bytes(*m.soft) : "unlimited";
  if (m.cap_ipc_lock) {
    r.summary = fmt::format("{} (not enforced: CAP_IPC_LOCK)", lim);
  } else if (!m.known) {
    r.verdict = check::Verdict::kSkip;
    r.summary = "proc/self/limits unreadable";
  } else if (m.soft && *m.soft < kMemlockWarnBelow) {
    r.verdict = check::Verdict::kWarn;
    r.summary = fmt::format("{}: VFIO_MAP_DMA fails with ENOMEM beyond it", lim);
    r.hint = "raise it: ulimit -l, LimitMEMLOCK= (systemd) or memlock in limits.conf";
  } else {
    r.summary = lim;
  }
  return r;
}

check::Check check_hugepages(const HostFs& fs) {
  check::Check r{"host.hugepages", "hugepages", check::Verdict::kPass, "", "", {}};
  nlohmann::json sizes = nlohmann::json::array();
  std::vector<std::string> parts;
  for (const auto& d : fs.list("sys/kernel/mm/hugepages")) {
    const std::string base = "sys/kernel/mm/hugepages/" + d + "/";
    const auto page_kb = parse_hugepages_dir(d);
    if (!page_kb) continue;
    const uint64_t kb = *page_kb;
    const auto num = [&](const char* f) -> uint64_t {
      return parse_u64(fs.read_line(base + f).value_or("0")).value_or(0);
    };
    const uint64_t nr = num("nr_hugepages"), free = num("free_hugepages");
    sizes.push_back({{"page_size", kb * 1024}, {"reserved", nr}, {"free", free}});
    parts.push_back(fmt::format("{}: {} reserved, {} free", human_bytes(kb * 1024), nr, free));
  }
  r.data = {{"sizes", sizes}};
  if (parts.empty()) {
    r.verdict = check::Verdict::kSkip;
    r.summary = "no hugetlb support (sys/kernel/mm/hugepages missing)";
    return r;
  }
  r.summary = fmt::format("{}", fmt::join(parts, "; "));
  bool any = false;
  for (const auto& s : sizes) any = any || s["reserved"].get<uint64_t>() > 0;
  if (!any)
    r.hint =
        "none reserved (4 KiB pages are used); for 2 MiB DMA buffers: echo 64 > "
        "/proc/sys/vm/nr_hugepages";
  return r;
}

namespace {

// The running kernel's build config, when a copy is readable (/boot/config-RELEASE, as
// Debian installs it): CONFIG_NAME -> "y"/"m". Empty when there is none.
std::map<std::string, std::string> kernel_config(const HostFs& fs) {
  std::map<std::string, std::string> cfg;
  for (const auto& line : fs.lines("boot/config-" + fs.kernel_release())) {
    const auto eq = line.find('=');
    if (line.rfind("CONFIG_", 0) == 0 && eq != std::string::npos)
      cfg[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return cfg;
}

// Whether VFIO's per-device cdev (/dev/vfio/devices/vfioN, CONFIG_VFIO_DEVICE_CDEV) is
// built: a bound device's /sys/class/vfio-dev/vfioN has a "dev" only then; without a
// bound device, the kernel config decides; "unknown" when neither can tell.
std::string cdev_support(const HostFs& fs, const std::map<std::string, std::string>& cfg) {
  const auto devs = fs.list("sys/class/vfio-dev");
  if (!devs.empty()) return fs.exists("sys/class/vfio-dev/" + devs[0] + "/dev") ? "yes" : "no";
  if (cfg.empty()) return "unknown";
  return cfg.count("CONFIG_VFIO_DEVICE_CDEV") ? "yes" : "no";
}

}  // namespace

check::Check check_vfio_backends(const HostFs& fs) {
  check::Check r{"host.vfio_backends", "VFIO interfaces", check::Verdict::kPass, "", "", {}};
  const auto cfg = kernel_config(fs);
  // /dev/vfio/vfio is the legacy container of vfio_iommu_type1, or iommufd's emulation
  // of it (CONFIG_IOMMUFD_VFIO_CONTAINER, exclusive with type1): which one serves it.
  std::string container = "none";
  const bool iommufd = iommufd_node_exists(fs);
  if (vfio_container_node_exists(fs))
    container = cfg.count("CONFIG_IOMMUFD_VFIO_CONTAINER")      ? "iommufd-compat"
                : module_state(fs, "vfio_iommu_type1").usable() ? "type1"
                : iommufd                                       ? "iommufd-compat"
                                                                : "unknown";
  const std::string cdev = iommufd ? cdev_support(fs, cfg) : "no";
  r.data = {{"container", container},
            {"iommufd", iommufd},
            {"cdev", cdev},
            {"kernel_config", cfg.empty() ? "unreadable" : "boot/config-" + fs.kernel_release()}};
  std::vector<std::string> offered, missing;
  if (container == "type1") offered.push_back("container /dev/vfio/vfio (type1, type1v2)");
  if (container == "iommufd-compat") offered.push_back("container /dev/vfio/vfio (iommufd compat)");
  if (container == "unknown") offered.push_back("container /dev/vfio/vfio (backend unknown)");
  if (container == "none") missing.push_back("the container (CONFIG_VFIO_CONTAINER=y)");
  if (iommufd)
    offered.push_back("iommufd /dev/iommu");
  else
    missing.push_back("iommufd (CONFIG_IOMMUFD)");
  if (cdev == "yes") offered.push_back("cdev /dev/vfio/devices");
  if (cdev == "no") missing.push_back("the device cdev (CONFIG_VFIO_DEVICE_CDEV=y, needs IOMMUFD)");
  if (cdev == "unknown") offered.push_back("cdev unknown until a device is bound to vfio-pci");
  r.summary = offered.empty() ? "no VFIO interface" : fmt::format("{}", fmt::join(offered, "; "));
  if (container == "none" && !iommufd) {
    r.verdict = check::Verdict::kFail;
    r.hint = "load vfio and vfio_iommu_type1 (or iommufd): see host.vfio_modules";
  } else if (!missing.empty()) {
    r.hint = fmt::format(
        "missing {}: a VMM that needs it (e.g. a KubeVirt using /dev/vfio/devices) fails on "
        "this kernel",
        fmt::join(missing, " and "));
  }
  return r;
}

check::Report run_host_checks(const HostFs& fs) {
  return {
      "host",
      {check_cpu_virtualization(fs), check_acpi_iommu_table(fs), check_iommu_enabled(fs),
       check_interrupt_remapping(fs), check_vfio_modules(fs), check_vfio_devnode(fs),
       check_iommufd_devnode(fs), check_vfio_backends(fs), check_memlock(fs), check_hugepages(fs)}};
}

}  // namespace vfiokit::host
