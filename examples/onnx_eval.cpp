// Evaluate a surrogate exported by `hepemu export --format onnx` from C++ (ONNX Runtime).
//
//   hepemu export --model gghh-box-1l --out box.onnx            # float64 graph
//   g++ -std=c++17 onnx_eval.cpp -I$ORT/include -L$ORT/lib -lonnxruntime -o onnx_eval
//   ./onnx_eval box.onnx -10 -5 -4                              # prints I and I_err
//   hepemu export --model ee4j --out ee4j.onnx                  # e+e- -> 4 jets emulator
//   ./onnx_eval ee4j.onnx E_ep px_ep py_ep pz_ep ... pz_g2      # 24 momentum components
//
// The graph takes one (N, d) tensor "x" of the model's input columns in the physical units
// `predict` takes (for gghh-box-1l: s12, s14, mH2 with mt^2 = 1) and returns "mean" and
// "sigma", each (N,). ONNX Runtime's C/C++ library is not in the Debian archive: take the
// release archive from https://github.com/microsoft/onnxruntime/releases (CI does not build
// this file).
#include <onnxruntime_cxx_api.h>

#include <array>
#include <cstdlib>
#include <iostream>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: " << argv[0] << " model.onnx x1 [x2 ...]  (one point's inputs)\n";
    return 2;
  }
  Ort::Env env(ORT_LOGGING_LEVEL_WARNING, "hepemu");
  Ort::SessionOptions options;
  Ort::Session session(env, argv[1], options);

  std::vector<double> x;
  for (int i = 2; i < argc; ++i) x.push_back(std::atof(argv[i]));
  const std::array<int64_t, 2> shape{1, static_cast<int64_t>(x.size())};  // N = 1 point
  auto memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  Ort::Value input = Ort::Value::CreateTensor<double>(memory, x.data(), x.size(),
                                                      shape.data(), shape.size());
  const char* inputs[] = {"x"};
  const char* outputs[] = {"mean", "sigma"};
  auto result = session.Run(Ort::RunOptions{nullptr}, inputs, &input, 1, outputs, 2);
  std::cout.precision(12);
  std::cout << "mean  " << result[0].GetTensorData<double>()[0] << "\n"
            << "sigma " << result[1].GetTensorData<double>()[0] << "\n";
  return 0;
}
