# vfiokit_add_vm_test(NAME n KERNEL stock|iommufd|compat IOMMU intel|virtio|amd|none
#                     DEVICES edu nvme:kernel ... [APPEND args] [TIMEOUT s] [WILL_FAIL]
#                     [RUNNER_ARGS ci/vm/run options...] COMMAND prog args...)
# Registers a ctest test that boots a test-bed VM (ci/vm/run), carries ${CMAKE_BINARY_DIR}/bin
# into it and runs COMMAND there as root; the VM's exit status is the test's.
function(vfiokit_add_vm_test)
  if(NOT VFIOKIT_VM_TESTS)
    return()
  endif()
  cmake_parse_arguments(VT "WILL_FAIL" "NAME;KERNEL;IOMMU;TIMEOUT;APPEND" "DEVICES;COMMAND;RUNNER_ARGS" ${ARGN})
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
  add_test(NAME ${VT_NAME} COMMAND ${CMAKE_SOURCE_DIR}/ci/vm/run ${args} -- ${VT_COMMAND})
  # The runner names the test and the command to rerun it when a guest fails.
  set_tests_properties(${VT_NAME} PROPERTIES LABELS vm TIMEOUT ${VT_TIMEOUT}
    ENVIRONMENT "VFIOKIT_TEST=${VT_NAME};VFIOKIT_BUILD_DIR=${CMAKE_BINARY_DIR}")
  if(VT_WILL_FAIL)
    set_tests_properties(${VT_NAME} PROPERTIES WILL_FAIL TRUE)
  endif()
endfunction()
