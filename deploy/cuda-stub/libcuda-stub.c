/*
 * A stand-in for the CUDA driver (libcuda.so.1) on machines without a GPU, for one purpose only:
 * deploy/check-cuda-build.sh runs the GPU build's tests on the CUDA libtorch's CPU kernels, and one
 * of its libraries (libcaffe2_nvrtc.so, which compiles kernels at run time on a GPU) links against
 * the driver, which only a machine with an NVIDIA driver has. Every call fails with
 * CUDA_ERROR_STUB_LIBRARY, as NVIDIA's own stub does, so libtorch sees no device and never uses
 * these. Never put this library in an image or on a GPU machine: the real driver belongs there.
 *
 * The functions are those libcaffe2_nvrtc.so of libtorch 2.5.1 (cu124) imports; the script checks
 * that the stub leaves none of them undefined.
 */
typedef int CUresult;

#define CUDA_ERROR_STUB_LIBRARY 34
#define STUB(name) \
  CUresult name(void) { return CUDA_ERROR_STUB_LIBRARY; }

STUB(cuCtxGetCurrent)
STUB(cuCtxSetCurrent)
STUB(cuDevicePrimaryCtxGetState)
STUB(cuDevicePrimaryCtxRetain)
STUB(cuFuncGetAttribute)
STUB(cuFuncSetAttribute)
STUB(cuLaunchCooperativeKernel)
STUB(cuLaunchKernel)
STUB(cuLinkAddData_v2)
STUB(cuLinkComplete)
STUB(cuLinkCreate_v2)
STUB(cuModuleGetFunction)
STUB(cuModuleLoadData)
STUB(cuModuleLoadDataEx)
STUB(cuModuleUnload)
STUB(cuOccupancyMaxActiveBlocksPerMultiprocessor)
STUB(cuTensorMapEncodeTiled)

CUresult cuGetErrorString(CUresult error, const char **text) {
  (void) error;
  *text = "no CUDA driver on this machine (fedbase's test stub)";
  return 0;
}
