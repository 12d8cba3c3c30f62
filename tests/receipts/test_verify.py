"""The auditor's bundle: an intact one passes; every kind of tampering is caught and named."""

from __future__ import annotations

import json

from heze_hub.receipts.canonical import canonical_json
from heze_hub.receipts.merkle import root, verify_consistency
from heze_hub.receipts.report import MAX_LISTED
from heze_hub.receipts.signing import SigningKey
from heze_hub.receipts.verify import verify_bundle
from tests.receipts.bundles import (
    LINES,
    ORIGIN,
    N,
    alter_byte,
    checkpoint,
    make_receipt,
    rewrite,
    text,
)

# -- the intact bundle ---------------------------------------------------------------------


def test_intact_bundle_passes(bundle, key, kept):
    for known in ([], kept):
        report = verify_bundle(bundle, known)
        assert report.ok, report.problems
        assert report.size == report.checkpoint_size == N
        assert report.root_hex == report.checkpoint_root_hex == root(LINES).hex()
        assert report.origin == ORIGIN
    assert verify_bundle(bundle, kept, vkey=key.vkey()).ok


def test_intact_bundle_gives_consistency_proofs(bundle, kept):
    report = verify_bundle(bundle, kept)
    assert [(c["m"], c["n"], c["ok"]) for c in report.consistency] == [(20, N, True), (40, N, True)]
    for c in report.consistency:
        proof = [bytes.fromhex(p) for p in c["proof"]]
        assert verify_consistency(c["m"], N, root(LINES[: c["m"]]), root(LINES), proof)


def test_report_notes_what_could_not_be_checked(bundle, key):
    report = verify_bundle(bundle)
    assert report.ok
    assert any("--known" in n for n in report.notes)
    assert any(key.key_id_hex in n for n in report.notes)
    assert report.as_dict()["ok"] is True


# -- tampering with receipts ---------------------------------------------------------------


def test_altered_byte_is_caught_and_bounded_by_kept_checkpoints(bundle, kept):
    rewrite(bundle, alter_byte)
    report = verify_bundle(bundle, kept)
    assert not report.ok
    assert "根哈希与签名检查点不符" in text(report)
    assert "seq 20–39" in text(report)  # between the two kept checkpoints
    assert "前 40 条回执" in text(report)
    # Without kept checkpoints: still caught, and the auditor is told how to narrow it down.
    alone = verify_bundle(bundle)
    assert not alone.ok and "--known" in text(alone)


def test_non_canonical_change_names_the_line(bundle):
    rewrite(bundle, lambda ls: [*ls[:7], ls[7].replace(b'"attempts":1', b'"attempts": 1'), *ls[8:]])
    report = verify_bundle(bundle)
    assert "第 8 行（应为 seq 7）不是规范 JSON" in text(report)
    assert "根哈希与签名检查点不符" in text(report)


def test_garbled_line_names_the_line(bundle):
    rewrite(bundle, lambda ls: [*ls[:5], ls[5][:40], *ls[6:]])
    report = verify_bundle(bundle)
    assert "第 6 行（应为 seq 5）不是合法的 JSON" in text(report)
    assert "缺少 seq 5" not in text(report)  # a damaged line, not a deletion


def test_deleted_receipt(bundle, kept):
    rewrite(bundle, lambda ls: ls[:17] + ls[18:])
    report = verify_bundle(bundle, kept)
    t = text(report)
    assert "有 49 条回执，签名检查点记录的是 50 条" in t
    assert "缺少 seq 17" in t and "被删除" in t
    assert "第 18–49 行" in t  # the lines that moved up


def test_two_garbled_lines_are_damage_not_deletions(bundle):
    rewrite(bundle, lambda ls: [*ls[:5], b"{garbage", b"", *ls[7:]])
    t = text(verify_bundle(bundle))
    assert "第 6 行（应为 seq 5）不是合法的 JSON" in t
    assert "第 7 行（应为 seq 6）不是合法的 JSON" in t
    assert "缺少" not in t


def test_many_deletions_are_listed_then_counted(bundle):
    rewrite(bundle, lambda ls: ls[::2])
    report = verify_bundle(bundle)
    deletions = [p for p in report.problems if p.startswith("缺少 seq")]
    assert len(deletions) == MAX_LISTED
    assert "……另有 4 处缺失未列出" in text(report)  # 24 gaps (the 25th is the tail)
    assert "日志末尾缺少 seq 49" in text(report)


def test_inserted_receipt(bundle):
    rewrite(bundle, lambda ls: [*ls[:10], ls[10], *ls[10:]])
    t = text(verify_bundle(bundle))
    assert "多了 1 条" in t
    assert "重复出现 seq 10：第 11 行与第 12 行" in t


def test_inserted_forged_receipt(bundle):
    forged = make_receipt(49) | {"seq": 50, "index_no": "HZZF/2024-00099"}
    rewrite(bundle, lambda ls: [*ls[:25], canonical_json(forged), *ls[25:]])
    t = text(verify_bundle(bundle))
    assert "出现检查点未包含的 seq 50（第 26 行）" in t
    assert "被插入" in t


def test_appended_receipt(bundle):
    extra = canonical_json(make_receipt(49) | {"seq": 50})
    rewrite(bundle, lambda ls: [*ls, extra])
    t = text(verify_bundle(bundle))
    assert "前 50 条回执与检查点一致；其后 1 条" in t
    assert "seq 50（第 51 行）" in t


def test_swapped_receipts(bundle):
    rewrite(bundle, lambda ls: [*ls[:3], ls[7], *ls[4:7], ls[3], *ls[8:]])
    t = text(verify_bundle(bundle))
    assert "回执顺序被调换" in t
    assert "第 4 行（应为 seq 3）的 seq 为 7" in t
    assert "第 8 行（应为 seq 7）的 seq 为 3" in t


def test_swap_with_renumbered_seqs_is_still_caught(bundle, kept):
    def swap(ls):
        a, b = json.loads(ls[33]), json.loads(ls[34])
        a["seq"], b["seq"] = 34, 33
        return [*ls[:33], canonical_json(b), canonical_json(a), *ls[35:]]

    rewrite(bundle, swap)
    report = verify_bundle(bundle, kept)
    assert "根哈希与签名检查点不符" in text(report)
    # Seqs are in order, so only the root shows it; the kept checkpoints bound where.
    assert "seq 20–39" in text(report)
    assert "顺序" not in text(report)


def test_truncated_log(bundle, kept):
    rewrite(bundle, lambda ls: ls[:45])
    report = verify_bundle(bundle, kept)
    t = text(report)
    assert "少了 5 条" in t
    assert "日志末尾缺少 seq 45–49（共 5 条）" in t


def test_truncated_mid_line(bundle):
    path = bundle / "receipts.jsonl"
    path.write_bytes(path.read_bytes()[:-100])
    t = text(verify_bundle(bundle))
    assert "最后一行没有换行符" in t
    assert "第 50 行（应为 seq 49）不是合法的 JSON" in t


def test_shuffled_log_lists_a_bounded_number_of_places(bundle):
    rewrite(bundle, lambda ls: ls[::-1])
    report = verify_bundle(bundle)
    assert not report.ok
    assert "另有" in text(report) or len(report.problems) <= MAX_LISTED + 5
    assert len(text(report)) < 20_000


# -- tampering with the checkpoint, the key, the history -----------------------------------


def test_checkpoint_signed_by_a_different_key(bundle, key):
    impostor = SigningKey.generate(ORIGIN)
    (bundle / "checkpoint").write_text(checkpoint(impostor, LINES))
    t = text(verify_bundle(bundle))
    assert "签名密钥不同" in t
    assert impostor.key_id_hex in t and key.key_id_hex in t


def test_key_and_checkpoint_replaced_caught_by_kept_checkpoints(bundle, kept):
    impostor = SigningKey.generate(ORIGIN)
    rewrite(bundle, alter_byte)
    (bundle / "checkpoint").write_text(
        checkpoint(impostor, (bundle / "receipts.jsonl").read_bytes().split(b"\n")[:-1])
    )
    (bundle / "hub.pub").write_text(impostor.vkey() + "\n")
    report = verify_bundle(bundle, kept)
    t = text(report)
    assert "审计员保存的第 1 个检查点不是用公钥" in t and "签名密钥不同" in t


def test_key_and_checkpoint_replaced_caught_by_published_key(bundle, key):
    impostor = SigningKey.generate(ORIGIN)
    (bundle / "checkpoint").write_text(checkpoint(impostor, LINES))
    (bundle / "hub.pub").write_text(impostor.vkey() + "\n")
    t = text(verify_bundle(bundle, vkey=key.vkey()))
    assert "包内公钥被替换" in t
    assert "签名密钥不同" in t


def test_edited_checkpoint_fails_its_signature(bundle):
    path = bundle / "checkpoint"
    path.write_text(path.read_text().replace(f"\n{N}\n", "\n49\n", 1))
    t = text(verify_bundle(bundle))
    assert "签名无效" in t


def test_rollback_to_an_older_signed_state(bundle, key, kept):
    # The hub (or someone with its files) goes back to 30 receipts and the checkpoint it signed
    # back then; the bundle is self-consistent, but the auditor kept the checkpoint at 40.
    rewrite(bundle, lambda ls: ls[:30])
    (bundle / "checkpoint").write_text(checkpoint(key, LINES[:30]))
    assert verify_bundle(bundle).ok  # nothing to compare with
    t = text(verify_bundle(bundle, kept))
    assert "回滚" in t and "seq 30–39" in t


def test_kept_checkpoint_that_is_not_a_prefix(bundle, key):
    other_history = [canonical_json(make_receipt(i) | {"attempts": 9}) for i in range(20)]
    report = verify_bundle(bundle, [checkpoint(key, other_history)])
    t = text(report)
    assert "前 20 条回执（seq 0–19）与审计员保存的第 1 个检查点不一致" in t
    assert "一致性证明" in t
    assert report.consistency[0]["ok"] is False


def test_fork_two_signed_states_of_the_same_size(bundle, key):
    other = [*LINES[:49], canonical_json(make_receipt(49) | {"status": "failed"})]
    t = text(verify_bundle(bundle, [checkpoint(key, other)]))
    assert "分叉" in t


def test_kept_checkpoint_from_another_log(bundle):
    stranger = SigningKey.generate("heze-hub/OTHER")
    t = text(verify_bundle(bundle, [checkpoint(stranger, LINES[:10])]))
    assert "签名密钥不同" in t


def test_missing_files(bundle):
    (bundle / "hub.pub").unlink()
    assert "缺少 hub.pub" in text(verify_bundle(bundle))
    (bundle / "checkpoint").unlink()
    (bundle / "receipts.jsonl").unlink()
    t = text(verify_bundle(bundle))
    assert "缺少 checkpoint" in t and "缺少 receipts.jsonl" in t
