# Sourced by ci/test and ci/bench: installs the Debian packages kmm needs
# when any is missing (as root), or says which to install.
KMM_PACKAGES=(cmake ninja-build gcc g++ clang libclang-rt-14-dev pkg-config binutils
	liburcu-dev libck-dev libcmocka-dev libbenchmark-dev libdw-dev
	libjemalloc-dev libgoogle-perftools-dev libmimalloc-dev
	liblzma-dev zlib1g-dev libzstd-dev)

kmm_ensure_packages() {
	local missing=() p
	for p in "${KMM_PACKAGES[@]}" "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "kmm: missing Debian packages: ${missing[*]}" >&2
		echo "kmm: install them as root: apt-get install ${missing[*]}" >&2
		exit 1
	fi
	echo "kmm: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
