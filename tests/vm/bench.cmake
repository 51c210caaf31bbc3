# vfiokit_bench (bench/) in test-bed VMs; registered when it is built.
if(NOT TARGET vfiokit_bench)
  return()
endif()
set(bench_dir ${PROJECT_SOURCE_DIR}/bench)

# Each flag docs/benchmarks.md names for vfiokit_bench works in a test-bed VM with
# edu + nvme (its host half is bench.flags.docs, tests/unit/bench).
find_package(Python3 COMPONENTS Interpreter)
if(Python3_FOUND AND VFIOKIT_VM_TESTS)
  add_test(NAME vm.bench.flags.stock.intel COMMAND Python3::Interpreter
           ${PROJECT_SOURCE_DIR}/tests/unit/bench/bench_flags_test.py
           --bench $<TARGET_FILE:vfiokit_bench> --vm)
  set_tests_properties(vm.bench.flags.stock.intel PROPERTIES LABELS vm TIMEOUT 600
    ENVIRONMENT "VFIOKIT_TEST=vm.bench.flags.stock.intel;VFIOKIT_BUILD_DIR=${CMAKE_BINARY_DIR}")
endif()

# The CI stage: bench/run-testbed boots one test-bed VM, runs vfiokit_bench with the
# short CI profile, pulls its JSON out and gates it against bench/baselines/testbed.json.
# (Not vfiokit_add_vm_test: the gate runs on the host, after the VM, on the JSON.)
function(vfiokit_add_bench_vm_test kernel)
  if(NOT VFIOKIT_VM_TESTS)
    return()
  endif()
  if(NOT kernel STREQUAL "stock" AND NOT VFIOKIT_HAVE_IOMMUFD)
    return()
  endif()
  set(name vm.bench.${kernel}.intel)
  set(out ${CMAKE_BINARY_DIR}/bench-results/${kernel})
  if(VFIOKIT_SANITIZE)
    # ASan/UBSan change every timing: run the suite once for its memory checks only.
    add_test(NAME ${name} COMMAND ${bench_dir}/run-testbed --ci --repetitions 1 --no-gate --no-plots
             --kernels ${kernel} --bin ${CMAKE_BINARY_DIR}/bin --out ${out})
  else()
    add_test(NAME ${name} COMMAND ${bench_dir}/run-testbed --ci --no-plots
             --kernels ${kernel} --bin ${CMAKE_BINARY_DIR}/bin --out ${out})
  endif()
  set_tests_properties(${name} PROPERTIES LABELS vm TIMEOUT 400
    ENVIRONMENT "VFIOKIT_TEST=${name};VFIOKIT_BUILD_DIR=${CMAKE_BINARY_DIR}")
  if(NOT VFIOKIT_SANITIZE)
    # Timed guests get the machine to themselves: beside another guest on 2 cores,
    # polled NVMe I/O measured 12x slower (QEMU's I/O thread waits for a core).
    set_tests_properties(${name} PROPERTIES RUN_SERIAL TRUE)
  endif()
endfunction()
vfiokit_add_bench_vm_test(stock)
# The same stock guest under QEMU -icount (guest time = guest instructions), for the
# benchmarks whose run-to-run spread it brings under 5 % (docs/benchmarks.md, "-icount"),
# gated A/B at 5 % (docs/benchmarks.md, "A/B gates"): one boot runs this build (B), the
# accepted revision's vfiokit_bench (A, bench/baseline-build, the revision recorded in
# bench/baselines/testbed-icount.json) and B again with --inject-percent 10, which the
# gate must fail. Same kernel for A and B, whatever Debian ships: never skipped. The
# injection is twice the 5 % tolerance: a +5 % path sits on the limit itself, and A and
# B differ by up to 0.7 % within one boot (2026-12-06: an injected +5 % read 1.046x
# on dma_unmap/type1v2/4k/65536 once, and the gate called itself blind).
if(VFIOKIT_VM_TESTS AND NOT VFIOKIT_SANITIZE)
  set(ab_build_type ${CMAKE_BUILD_TYPE})
  add_test(NAME vm.bench.icount.stock.intel COMMAND ${bench_dir}/run-testbed-ab
           --build-type "${ab_build_type}" --
           --ci --icount 0 --inject-percent 10 --inject-repetitions 3
           --no-plots --kernels stock --bin ${CMAKE_BINARY_DIR}/bin --out ${CMAKE_BINARY_DIR}/bench-results/icount
           --baseline ${bench_dir}/baselines/testbed-icount.json
           --tolerances ${bench_dir}/baselines/testbed-icount-tolerances.json
           -- "--benchmark_filter=^((dma_map|dma_unmap)/[^/]+/4k/(4096|65536)/|mmio_(read|write)/|overhead/[^/]+/mmio)")
  # Up to ~2 min for a cold base build (bench/baseline-build; cached after), then one
  # -icount VM with three passes (B, A, injected B). Not RUN_SERIAL: under -icount the
  # guest's clock counts its instructions, so a test beside it slows the run, not the
  # numbers (docs/benchmarks.md, "-icount": medians unmoved as host load swung 5.7 -> 2.3).
  set_tests_properties(vm.bench.icount.stock.intel PROPERTIES LABELS vm TIMEOUT 900
    ENVIRONMENT "VFIOKIT_TEST=vm.bench.icount.stock.intel;VFIOKIT_BUILD_DIR=${CMAKE_BINARY_DIR}")
endif()
vfiokit_add_bench_vm_test(iommufd)
vfiokit_add_bench_vm_test(compat)
