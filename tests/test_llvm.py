from dgan_blender import llvm


def test_user_setting_is_respected(monkeypatch):
    monkeypatch.setenv("DRJIT_LIBLLVM_PATH", "/custom/libLLVM.so")
    monkeypatch.delenv("DGAN_LLVM_DETECTED", raising=False)
    monkeypatch.delenv("DGAN_LLVM_FROM_USER", raising=False)
    assert llvm.configure() == "/custom/libLLVM.so"


def test_detection_skips_old_versions(monkeypatch, tmp_path):
    for name in ("libLLVM-15.so.1", "libLLVM.so.19.1", "libLLVM.so.17"):
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setattr(llvm, "_PATTERNS", (str(tmp_path / "libLLVM*"),))
    found = llvm.candidates()
    assert [v for v, _ in found] == [19, 17]
    monkeypatch.delenv("DRJIT_LIBLLVM_PATH", raising=False)
    monkeypatch.delenv("DGAN_LLVM_DETECTED", raising=False)
    assert llvm.configure().endswith("libLLVM.so.19.1")


def test_nothing_found(monkeypatch, tmp_path):
    monkeypatch.setattr(llvm, "_PATTERNS", (str(tmp_path / "none*"),))
    monkeypatch.delenv("DRJIT_LIBLLVM_PATH", raising=False)
    assert llvm.configure() is None
