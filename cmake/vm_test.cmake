# vfiokit_add_vm_test(NAME n KERNEL stock|iommufd|compat IOMMU intel|virtio|amd|none
#                     DEVICES edu nvme:kernel ... [APPEND args] [TIMEOUT s] [WILL_FAIL]
#                     [RUNNER_ARGS ci/vm/run options...] [RECORD rows-file] COMMAND prog args...)
# Registers a ctest test that boots a test-bed VM (ci/vm/run), carries ${CMAKE_BINARY_DIR}/bin
# into it and runs COMMAND there as root; the VM's exit status is the test's. RECORD: the
# ownership proof's PROOF rows go to rows-file too (tests/vm/record_proof_rows).
function(vfiokit_add_vm_test)
  if(NOT VFIOKIT_VM_TESTS)
    return()
  endif()
  cmake_parse_arguments(VT "WILL_FAIL" "NAME;KERNEL;IOMMU;TIMEOUT;APPEND;RECORD" "DEVICES;COMMAND;RUNNER_ARGS" ${ARGN})
  if(VT_KERNEL STREQUAL "iommufd" OR VT_KERNEL STREQUAL "compat")
    if(NOT VFIOKIT_HAVE_IOMMUFD)
      return()
    endif()
  endif()
  if(NOT VT_TIMEOUT)
    set(VT_TIMEOUT 300)
  endif()
  set(args --kernel ${VT_KERNEL} --iommu ${VT_IOMMU} --timeout ${VT_TIMEOUT} --bin ${CMAKE_BINARY_DIR}/bin)
  foreach(d ${VT_DEVICES})
    list(APPEND args --device ${d})
  endforeach()
  if(VT_APPEND)
    list(APPEND args --append ${VT_APPEND})
  endif()
  list(APPEND args ${VT_RUNNER_ARGS})
  set(runner ${CMAKE_SOURCE_DIR}/ci/vm/run)
  if(VT_RECORD)
    set(runner ${CMAKE_SOURCE_DIR}/tests/vm/record_proof_rows ${VT_RECORD} -- ${runner})
  endif()
  add_test(NAME ${VT_NAME} COMMAND ${runner} ${args} -- ${VT_COMMAND})
  # The runner names the test and the command to rerun it when a guest fails.
  set_tests_properties(${VT_NAME} PROPERTIES LABELS vm TIMEOUT ${VT_TIMEOUT}
    ENVIRONMENT "VFIOKIT_TEST=${VT_NAME};VFIOKIT_BUILD_DIR=${CMAKE_BINARY_DIR}")
  if(VT_WILL_FAIL)
    set_tests_properties(${VT_NAME} PROPERTIES WILL_FAIL TRUE)
  endif()
endfunction()

# vfiokit_add_vm_proof_test(KERNEL k IOMMU i DEVICES ... DRIVERS d... MODES m... [TIMEOUT s]
#                           COMMAND prog args...)
# The ownership-proof matrix of one kernel x IOMMU in one boot: vm.proof.<k>.<i> (a
# vfiokit_add_vm_test running COMMAND, which runs vm_proof_test) records its PROOF rows in
# ${CMAKE_BINARY_DIR}/vm-results/proof.<k>.<i>.rows and is the ctest fixture of one cheap
# test per cell, vm.proof.<k>.<i>.<mode>.<driver> (tests/vm/proof_cell reads its row):
# PASS passes, SKIP is a ctest skip printing why, FAIL or no row fails printing why.
function(vfiokit_add_vm_proof_test)
  cmake_parse_arguments(PT "" "KERNEL;IOMMU;TIMEOUT" "DEVICES;DRIVERS;MODES;COMMAND" ${ARGN})
  set(name vm.proof.${PT_KERNEL}.${PT_IOMMU})
  set(rows ${CMAKE_BINARY_DIR}/vm-results/proof.${PT_KERNEL}.${PT_IOMMU}.rows)
  vfiokit_add_vm_test(NAME ${name} KERNEL ${PT_KERNEL} IOMMU ${PT_IOMMU} DEVICES ${PT_DEVICES}
    TIMEOUT ${PT_TIMEOUT} RECORD ${rows} COMMAND ${PT_COMMAND})
  if(NOT TEST ${name})
    return()  # no VM tests, or this kernel needs what the build lacks
  endif()
  set_tests_properties(${name} PROPERTIES FIXTURES_SETUP ${name})
  foreach(mode ${PT_MODES})
    foreach(driver ${PT_DRIVERS})
      add_test(NAME ${name}.${mode}.${driver}
        COMMAND ${CMAKE_SOURCE_DIR}/tests/vm/proof_cell ${rows} ${driver} ${mode})
      set_tests_properties(${name}.${mode}.${driver} PROPERTIES LABELS vm
        FIXTURES_REQUIRED ${name} SKIP_RETURN_CODE 77 TIMEOUT 30)
    endforeach()
  endforeach()
endfunction()
