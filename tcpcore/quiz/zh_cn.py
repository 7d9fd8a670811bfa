"""The quiz questions of lesson 06 in Simplified Chinese (zh-CN), as data beside the questions.

``ZH_CN`` maps a question id of :mod:`tcpcore.quiz` to its :class:`~tcpcore.quiz.Texts`: the
title, the prompt, the choices in the same stored order as the English ones (so the answer index
and every student's order carry over), and the explanation, one paragraph per blank line.
:func:`tcpcore.quiz.get` attaches them; :func:`tcpcore.quiz.language` chooses whether they are
shown. Terms follow the usual Chinese textbooks (谢希仁《计算机网络》), with the RFC's English
term beside on first use in each text; quotations of RFCs stay in English, as the RFC words
them, since the RFC is the authority.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from .question import Texts

__all__ = ["ZH_CN"]

_IDEOGRAPH = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_PUNCTUATION = re.compile(r"[\u3000-\u303f\uff00-\uffef“”‘’…—]")


def _joint(left: str, right: str) -> str:
    """What goes between two wrapped lines: nothing beside Chinese punctuation or between two
    Chinese characters, a space between a Chinese character and a Latin one (the usual
    typography) and between two Latin words."""
    if _PUNCTUATION.match(left) or _PUNCTUATION.match(right):
        return ""
    if _IDEOGRAPH.match(left) and _IDEOGRAPH.match(right):
        return ""
    return " "


def _zh(s: str) -> str:
    """Source text to one paragraph per blank line, the lines of each joined (see _joint)."""
    paragraphs = []
    for p in s.strip().split("\n\n"):
        text = ""
        for line in (x.strip() for x in p.splitlines() if x.strip()):
            text += (_joint(text[-1], line[0]) if text else "") + line
        paragraphs.append(text)
    return "\n\n".join(paragraphs)


_TEXTS: dict[str, Texts] = {}


def _add(
    question_id: str,
    title: str,
    prompt: str,
    choices: tuple[str, ...],
    expl: str,
    captions: tuple[str, ...] = (),
) -> None:
    _TEXTS[question_id] = Texts(
        title=title,
        prompt=_zh(prompt),
        choices=tuple(choices),
        explanation=_zh(expl),
        captions=captions,
    )


# Lesson 06 draws this question's demonstration (the two-way handshake that is not TCP) without
# asking it as a quiz; its texts are here so that the Chinese edition's figure and any reader who
# asks for it get Chinese.
_add(
    "three-way-handshake",
    "为什么建立连接要三个报文段，而不是两个",
    """
    TCP 为什么用三个报文段建立连接？如果改成两次握手，即服务器一回答客户端的 SYN 就认为连接已经
    建立，会出什么问题？""",
    (
        "如果什么都不会丢，两个就够了：第三个报文段只是为了防备 SYN+ACK 丢失；没有它，双方会互相"
        "等待，形成死锁。",
        "第三个报文段要携带客户端的窗口大小和 MSS，第一个 SYN 里放不下；没有这些，服务器就发不出"
        "第一个数据报文段。",
        "服务器分辨不出旧的重复 SYN 和新的 SYN；只有客户端知道自己发的是哪个 SYN，所以要由它来"
        "确认，也就是确认服务器的初始序号（ISN）。",
        "三次只是惯例：RFC 9293 允许把两次握手作为可选项，开启 TCP Fast Open 的服务器就用它在每条"
        "连接上省掉一个往返。",
    ),
    """
    因为双方的初始序号（ISN）都必须得到确认，而只有发起方才分得清旧的重复 SYN 和自己当前的
    SYN，所以必须由它来确认。两次握手会让一个早先尝试中被延迟的 SYN 打开一条谁也没有请求过的
    连接。

    同步序号本来是四步（RFC 9293 3.4.1）：A 发出自己的 ISN，B 确认它，B 发出自己的 ISN，A 再
    确认。B 的确认和 B 的 SYN 可以放进同一个报文段，于是四步变成三步；别的都合并不了，因为 A
    只有收到 B 的 ISN 之后才能确认它。只用两个报文段，就没有人告诉 B：A 已经收到了 B 的 ISN。

    用 RFC 的话说，最主要的原因是 "to prevent old duplicate connection initiations from causing
    confusion"（3.5），即防止旧的重复连接请求引起混乱。一个在网络中滞留的旧 SYN 看起来和新的
    一模一样，接收方 "has no way of knowing whether the segment was an old one or not ... so it
    must ask the sender to verify this SYN"（3.4.1），只能请发送方来核实。在演示场景里（RFC
    9293 图 8，即 RFC 793 的图 9），B 用确认号为 91 的 SYN+ACK 回答旧的 SYN（seq 90）；A 从没
    发过 90，于是回一个 RST，B 回到 LISTEN，随后 A 真正的 SYN 正常地建立连接。运行 "two-way"
    变体（这不是 TCP）：B 相信了旧的 SYN，带着错误的序号“连上了”一个并不存在的对端，而 A 始终
    没有得到连接。

    死锁的论证（B 的回答丢了；B 以为连接已建立并开始发数据，而仍在等待的 A 对这些数据置之不理）
    从另一面说明了同一个缺口：两次握手让 B 在知道 A 听到之前就认定了连接。TCP 的 B 停在
    SYN-RECEIVED 而不是 ESTABLISHED，并重传 SYN+ACK，直到 A 的 ACK 到达（场景 lost-syn-ack）。
    单看这一条论证是较弱的：客户端会重传 SYN 的两次握手协议也能从丢失的回答中恢复过来。但它
    对付不了旧的重复 SYN，所以 RFC 把理由放在这里。""",
    captions=(
        "不是 TCP：两次握手相信了旧的 SYN",
        "B 停在 SYN-RECEIVED，直到 A 的 ACK 到达",
    ),
)


_add(
    "fin-ack-in-fin-wait-1",
    "收到 FIN+ACK 就进入 TIME-WAIT 吗？",
    """
    A 已发出自己的 FIN，处于 FIN-WAIT-1 状态。这时 B 发来一个报文段（segment），FIN 和 ACK
    两个控制位（control bits）都置 1。一篇流传很广的文章说，A 此时“可以直接进入 TIME-WAIT，
    而无须经过 FIN-WAIT-2”。这种说法对吗？""",
    (
        "只有当它的确认号（acknowledgment number）覆盖了 A 的 FIN 时才对，光看控制位说明不了"
        "什么。如果这个 FIN+ACK 只确认了更早的数据，A 会进入 CLOSING。",
        "对：在 FIN-WAIT-1 收到 FIN+ACK 一定进入 TIME-WAIT，因为 ACK 位正是对方在说“你的 FIN "
        "我收到了，我也没有数据要发了”。",
        "不对：A 必须先经过 FIN-WAIT-2，所以它会先把这个 FIN 放着，等到一个单独确认自己 FIN 的"
        "纯 ACK，然后才进入 TIME-WAIT。",
        "不对：在 FIN-WAIT-1 收到 FIN+ACK，说明双方恰好同时关闭，而同时关闭一定是先进入 "
        "CLOSING，再进入 TIME-WAIT。",
    ),
    """
    看确认号，不看控制位：只有当这个报文段确认了 A 的 FIN（SEG.ACK 等于 A 的 SND.NXT）时，
    A 才进入 TIME-WAIT，否则进入 CLOSING。握手之后几乎每个报文段都带 ACK 位，它只说明确认号字段
    有效。

    RFC 9293 3.10.7.4 第八步，FIN-WAIT-1 状态下："If our FIN has been ACKed (perhaps in this
    segment), then enter TIME-WAIT, start the time-wait timer, turn off the other timers;
    otherwise, enter the CLOSING state." 也就是说，如果我们的 FIN 已被确认（可能就在这个报文段里），
    进入 TIME-WAIT；否则进入 CLOSING。此前的第五步已经处理过确认号，所以“已被确认”指的是
    SND.UNA 已经越过了 FIN。

    演示的是同时关闭（simultaneous close）：两个 FIN 都带着 ACK 位，但谁也没有确认对方的 FIN
    （A 的 FIN 是 ack=301，B 的 FIN 是 ack=101，都是各自发 FIN 之前的值），于是双方都进入
    CLOSING，而不是 TIME-WAIT。“直接进入 TIME-WAIT”发生在三报文段的关闭中：B 的 FIN 带着
    ack = A 的 FIN + 1。课程附带的抓包 exchange.pcap 里就有这样一次（第 03 课）。""",
)

_add(
    "three-segment-close",
    "什么时候关闭只用三个报文段",
    """
    原文说四次挥手“本质上其实就是三次握手模型”，只是多了一步兜底。真实的关闭什么时候只用三个
    报文段？是哪三个？""",
    (
        "永远不会：对 FIN 的确认必须单独成段，因为 FIN+ACK 会确认对方还没发出的数据。",
        "在 Linux 上总是如此：它的 TCP 要等应用程序关闭后才确认 FIN，所以每条连接上 ACK 都捎带在"
        "服务器的 FIN 里。",
        "当客户端把最后的数据、FIN 和 ACK 放进同一个报文段时；服务器回一个 FIN+ACK，客户端再回最后"
        "一个 ACK 就结束了。",
        "当 B 的 TCP 还没来得及确认 A 的 FIN（延迟确认）时 B 就关闭了：B 的 FIN 捎带这个确认，"
        "关闭过程就是 FIN、FIN+ACK、ACK。",
    ),
    """
    如果 B 的应用程序在 B 的 TCP 发出对 A 的 FIN 的确认之前就关闭了，B 的 FIN 就会捎带这个确认：
    A 发 FIN，B 发 FIN+ACK，A 发 ACK。于是 A 从 FIN-WAIT-1 直接进入 TIME-WAIT，B 几乎立刻从
    CLOSE-WAIT 进入 LAST-ACK。

    ACK 之所以能等一等，是因为接收方会延迟确认（delayed ACK，最多 0.5 秒，RFC 9293 3.8.6.3；
    Linux 通常短得多），而一个在 read() 返回 0 后立刻关闭的应用程序，往往就在这段时间内关闭。
    课程附带的抓包 exchange.pcap（第 03 课）在 Linux 上记录到了这种情况：客户端 FIN+ACK，服务器
    FIN+ACK（确认了客户端的 FIN），客户端 ACK。协议里并没有把不能合并的东西合并：ACK 和 FIN
    是两条互相独立的信息，只是碰巧一起发出，正如握手第二个报文段里的 ACK 和 SYN。

    所以“关闭其实是三次握手”只对了一半：三个报文段是可能的，但要靠对方应用程序关得快，并没有
    保证；多出的那一步也不是因为繁忙的服务器“分配不出资源来关闭”，而是因为 B 的 FIN 由 B 的应用
    程序决定（3.6）。tcpcore 收到就立即确认（没有延迟确认），所以在演示中，B 的应用程序在 A 的
    FIN 到达 10 ms 后才关闭，这时 B 的 ACK 早已发出，关闭用了四个报文段；一个延迟确认的协议栈
    会只发三个。""",
)

_add(
    "syn-in-time-wait",
    "处于 TIME-WAIT 的连接收到新的 SYN",
    """
    服务器 B 先关闭，现在处于 TIME-WAIT。客户端又从同一个端口重新连接，于是 B 收到一个地址和
    端口完全相同的 SYN。B 可以怎么做？""",
    (
        "复位：在任何同步状态下收到 SYN 都说明对方重启过，所以 B 发送 RST 并删除这个 TIME-WAIT。",
        "如果这个 SYN 的序号或时间戳比旧连接的大，就打开一条新连接：RFC 9293 允许，"
        "Linux 也这么做。",
        "不予回答直接丢弃：2MSL 过去之前这个四元组被锁住，客户端只能等，或者换个端口重试。",
        "立即接受任何 SYN：TIME-WAIT 只防旧的 FIN，而 SYN 打开的是新连接，不可能是旧的重复报文段。",
    ),
    """
    B 可以（MAY）接受它，直接从 TIME-WAIT 重新打开连接，前提是新连接不会和旧连接混淆：新的初始
    序号（ISN）必须大于旧连接用过的序号，或者它的 TCP 时间戳比旧的新。Linux 正是这样做的；
    不满足条件时，这个 SYN 只换来一个挑战 ACK（challenge ACK），什么也不改变。

    RFC 9293 3.6.1（MAY-2）：处于 TIME-WAIT 的一方 "MAY accept a new SYN from the remote TCP
    endpoint to reopen the connection directly from TIME-WAIT state"，条件是它给新连接选的初始
    序号大于上一个连接用过的最大序号，并且如果这个 SYN 原来是旧的重复报文段，就回到 TIME-WAIT。
    有时间戳时，RFC 6191 给出了更好的判断方法，而且应当（SHOULD）实现（SHLD-4）；3.10.7.4
    第四步对 TIME-WAIT 也是这么说的。Linux（tcp_timewait_state_process）在 SYN 的序号超过旧的
    RCV.NXT，或时间戳比上次看到的新时接受它。

    其他同步状态对 SYN 回一个挑战 ACK（RFC 5961 4.2；第 02 课的 syn-after-handshake）。TIME-WAIT
    之所以例外，是因为连接已经结束了：唯一的危险是旧的重复报文段，而序号或时间戳的检查正好排除
    了它。所以在 Linux 上，客户端从同一个端口重连一个先关闭的服务器，通常能成功。演示在 linux
    配置下正好跑这一幕：B 从 TIME-WAIT 到 SYN-RECEIVED 再到 ESTABLISHED，新的 ISS 是旧的
    SND.NXT + 65537，和 Linux 的取法一样。第二张梯形图是同一个 SYN 在 tcpcore 的 rfc9293 配置
    下的结果：回一个挑战 ACK，这是更保守的读法。""",
)

_add(
    "so-reuseaddr",
    "重启服务器：EADDRINUSE 与 SO_REUSEADDR",
    """
    服务器刚关闭它的连接（由它先关闭），你马上重启它，结果在 80 端口上 bind() 失败，报
    EADDRINUSE。为什么？SO_REUSEADDR 改变了什么？""",
    (
        "旧进程还在后台运行；SO_REUSEADDR 会杀掉它并接管端口，所以在生产环境中不安全。",
        "任何连接结束后，80 端口都要锁住 2MSL；SO_REUSEADDR 把这个套接字上所有连接的 TIME-WAIT "
        "缩短为零。",
        "它的旧连接在 80 端口上处于 TIME-WAIT，而 bind() 拒绝仍在使用的端口；SO_REUSEADDR 让新的"
        "监听套接字照样能绑定。",
        "内核把旧的监听套接字留在 CLOSE-WAIT，直到每个客户端都关闭；SO_REUSEADDR 复位这些客户端，"
        "把端口腾出来。",
    ),
    """
    服务器先关闭，所以它的旧连接处于 TIME-WAIT，每一条都还占着本地 80 端口；默认情况下，bind()
    拒绝任何仍被套接字使用的本地地址。SO_REUSEADDR 让新的监听套接字照样能绑定，旧连接则不受影响
    地走完它们的 TIME-WAIT。

    TIME-WAIT 保护的是一个四元组（本地和远端的地址、端口），而不是一个端口：来自另一个客户端或
    另一个端口的新连接，不可能和旧连接混淆。bind() 比实际需要的更严格，因为它在还不知道远端地址
    时就做检查。SO_REUSEADDR（在 Linux 上：只要没有别的套接字在同一地址和端口上监听就允许）只
    去掉这个过严的检查；对于四元组仍处于 TIME-WAIT 的新连接，内核照样拒绝，除了 TIME-WAIT 中
    收到 SYN 的那条规则（RFC 9293 3.6.1 MAY-2）。每个服务器都应该在 bind() 之前设置它；Python
    的 http.server 和 asyncio 的 create_server 都这么做。

    它不是 SO_REUSEPORT（几个活着的套接字共用一个端口），不是 net.ipv4.tcp_tw_reuse（主动发起
    的连接依靠时间戳复用处于 TIME-WAIT 的四元组），也不是 SO_LINGER 0（用 RST 跳过 TIME-WAIT，
    3.10.5）。演示中 B 先关闭，在 80 端口上度过 60 秒 TIME-WAIT 的是 B，而不是 A。""",
)

_add(
    "time-wait-assassination",
    "TIME-WAIT 被“暗杀”（RFC 1337）",
    """
    A 处于 TIME-WAIT。一个旧的重复报文段到达，A 回了一个 ACK；B 早已忘掉这条连接，于是用 RST
    回应这个 ACK。A 的 TIME-WAIT 会怎样？RFC 1337 对此怎么说？""",
    (
        "按 RFC 9293 和 Linux 的默认设置，这个 RST 立即结束 A 的 TIME-WAIT；RFC 1337 把这叫作"
        "“暗杀”，并建议忽略它。",
        "什么也不会发生：TIME-WAIT 中从不接受 RST，因为 RFC 9293 要求 TIME-WAIT 无论收到什么都"
        "必须持续满 2MSL。",
        "A 用自己的 RST 回应这个 RST，并重新启动 2MSL 计时器，RFC 1337 把这种来回叫作 RST 大战"
        "并加以禁止。",
        "A 回到 ESTABLISHED 重新同步，因为 RST 说明对方丢了状态；RFC 1337 禁止这样做，要求重新"
        "握手。",
    ),
    """
    这个 RST 是可接受的（它的序号正是 A 的 ACK 所期待的那个），所以 A 删除连接，TIME-WAIT
    提前结束：RFC 1337 称之为 TIME-WAIT 暗杀（TIME-WAIT assassination）。它建议 TIME-WAIT
    忽略 RST；Linux 只有在 net.ipv4.tcp_rfc1337=1 时才这样做，默认和 RFC 9293 一样关闭连接。

    RFC 9293 3.10.7.4 第二步，TIME-WAIT 状态："If the RST bit is set, then enter the CLOSED
    state, delete the TCB, and return." RFC 1337 第 2 节列出了这样提前结束 TIME-WAIT 的危险：
    旧的数据报文段可能被同一连接的新化身（incarnation）接受（H1），旧的 ACK 可能使它失步（H2），
    或者新连接被复位（H3）。它的办法（第 3 节）是："ignore RST segments in TIME-WAIT state"，
    即在 TIME-WAIT 中忽略 RST。这些危险需要旧的重复报文段恰好在错误的时刻出现，所以默认行为
    一直没变。

    tcpcore 用配置（profile）提供这两种行为：rfc9293 和 linux 在 TIME-WAIT 中收到 RST 就关闭
    （配置开关 ignore_rst_in_time_wait 关闭），linux-rfc1337 则忽略它。演示重现了这次暗杀：
    A 最后那个 ACK 的一份延迟副本到达已经关闭的 B，B 回以 <SEQ=SEG.ACK><CTL=RST>，正好落在
    A 的 RCV.NXT 上，A 立即离开 TIME-WAIT。第二张梯形图是同一过程在 linux-rfc1337 下：A 忽略
    RST，等满 60 秒。""",
)

_add(
    "ss-during-the-close",
    "关闭过程中 ss 显示什么",
    """
    客户端先关闭。服务器的 TCP 确认了这个 FIN，但服务器的应用程序还没有关闭。在这段间隙里，
    `ss -tan` 在两端各显示什么？服务器关闭之后呢（Linux）？""",
    (
        "客户端 FIN-WAIT-1，服务器 CLOSING；服务器关闭后双方都进入 TIME-WAIT，停留 60 秒，即 Linux "
        "上的 2MSL。",
        "客户端 TIME-WAIT，服务器 LAST-ACK；服务器关闭后客户端仍在 TIME-WAIT，服务器的条目立刻"
        "消失。",
        "客户端 CLOSE-WAIT，服务器 FIN-WAIT-2；服务器关闭后服务器显示 60 秒 TIME-WAIT，客户端的"
        "条目消失。",
        "客户端 FIN-WAIT-2，服务器 CLOSE-WAIT；然后服务器 LAST-ACK 直到最后一个 ACK，客户端 "
        "TIME-WAIT 60 秒。",
    ),
    """
    间隙里客户端显示 FIN-WAIT-2（它的 FIN 已被确认），服务器显示 CLOSE-WAIT（收到了 FIN，应用
    程序还没关闭）。服务器关闭时进入 LAST-ACK，直到客户端最后的 ACK 到达；客户端显示 TIME-WAIT，
    持续 60 秒。

    每个状态名都对应 RFC 9293 3.10.7.4 的一条：对客户端 FIN 的确认使它从 FIN-WAIT-1 进入
    FIN-WAIT-2（第五步）；FIN 使服务器从 ESTABLISHED 进入 CLOSE-WAIT（第八步）；服务器的
    CLOSE 发出它的 FIN 并进入 LAST-ACK（3.10.4）；这个 FIN 使客户端进入 TIME-WAIT（第八步）；
    最后的 ACK 使服务器进入 CLOSED（第五步），它在 `ss` 里的那一行随之消失。FIN-WAIT-1 只持续
    一个往返时间，在健康的网络上 `ss` 很难抓到。

    两个 Linux 细节：`ss -tano` 还会显示计时器（timer:(timewait,59sec,0)）；如果客户端调用的是
    close() 而不是 shutdown()，成为孤儿的 FIN-WAIT-2 在服务器一直不关闭时，会在
    tcp_fin_timeout（60 秒）后被丢弃。演示是 linux 配置下的 client-closes-first：B 从 1.05 秒
    到 2.0 秒处于 CLOSE-WAIT，A 从 1.1 秒到 2.05 秒处于 FIN-WAIT-2，然后处于 TIME-WAIT 直到
    62.05 秒。""",
)

_add(
    "ss-during-the-handshake",
    "握手的第三个报文段丢失时 ss 显示什么",
    """
    握手的第三个报文段（A 的 ACK）丢了。在接下来的一秒里，`ss -tan` 在 A 和 B 上对这条连接
    各显示什么？""",
    (
        "A 显示 ESTAB，因为它已发出 ACK、可以发送数据；B 显示 SYN-RECV，直到 A 的 ACK 或数据到达，"
        "accept() 看不到它。",
        "双方都显示 SYN-SENT：要等 B 确认了 A 的 ACK 才算连上，而这需要第四个报文段，B 也还没发。",
        "A 显示 SYN-SENT，直到 B 确认 A 的 ACK 已到；B 显示 ESTAB，因为收到 A 的 SYN 就足以让 B "
        "的 TCP 建立连接。",
        "双方都显示 ESTAB：每一方都发过 SYN 也收到过 SYN，所以即使那个 ACK 永远不到，两端的连接"
        "也都已打开。",
    ),
    """
    A 显示 ESTAB：它在收到 SYN+ACK、发出 ACK 时就进入了 ESTABLISHED。B 显示 SYN-RECV，直到
    一个 ACK（或者同样带着确认的数据报文段）到达；在此之前，这条连接留在 B 的半连接队列（SYN
    queue）里，accept() 看不到它。

    `ss` 打印的是内核的状态名，和 RFC 的名字只有细微差别：ESTAB、SYN-SENT、SYN-RECV、
    FIN-WAIT-1、FIN-WAIT-2、CLOSE-WAIT、LAST-ACK、CLOSING、TIME-WAIT、LISTEN（以及表示未连接
    套接字的 UNCONN）。B 的 TCP 会重传它的 SYN+ACK（RFC 9293 3.8.1；Linux 的
    tcp_synack_retries），A 对每一个都再回一次 ACK，因为这个 SYN+ACK 现在是重复的
    （3.10.7.4 第一步）。通常 A 的第一个数据报文段会更早到达，并完成 B 的握手：它带着同样的
    确认号。

    演示让 A 的 ACK 丢失：A 从 0.1 秒起就是 ESTABLISHED，而 B 一直停在 SYN-RECEIVED，直到
    1.15 秒，A 为回应 B 重传的 SYN+ACK 而再次发出的 ACK 到达。这正是原文两次握手论证里的死锁，
    只是被化解了：B 还没有认定连接已建立，所以它会一直追问。""",
)

_add(
    "half-connection",
    "什么是半连接？",
    """
    原文把 FIN-WAIT-2 叫作“半连接”。但大多数中文面试资料说的半连接是另一回事：半连接队列里的
    那些条目。按这个通常的含义，半连接处于哪个状态？原文说的 FIN-WAIT-2 又是什么？RFC 9293
    的 “half-open” 连接呢？""",
    (
        "三者说的都是 FIN-WAIT-2：先关闭的一方在对方的 FIN 到达之前都是“半连接”，不管读哪本书或"
        "哪份标准都一样。",
        "半连接是处于 CLOSE-WAIT 的连接：对方已经走了，应用程序却还开着它；FIN-WAIT-2 和 "
        "half-open 指同一个状态。",
        "半连接是已完成握手、在全连接队列里等 accept() 的连接；RFC 所说的 half-open 就是 "
        "FIN-WAIT-2。",
        "SYN-RECEIVED，在半连接队列中等客户端的 ACK。FIN-WAIT-2 是半关闭；RFC 9293 的 half-open "
        "指一端丢了状态。",
    ),
    """
    通常意义上的半连接，是服务器端处于 SYN-RECEIVED 的连接：它收到了 SYN、发出了 SYN+ACK，
    在半连接队列（SYN queue）里等客户端的 ACK。原文说的 FIN-WAIT-2 是半关闭（half-closed，
    一个方向已关闭）的连接，而 RFC 9293 的 “half-open” 连接又是第三种东西。

    三个术语的准确含义。half-open（RFC 9293 3.5.1）："one of the TCP peers has closed or
    aborted the connection at its end without the knowledge of the other, or if the two ends of
    the connection have become desynchronized owing to a failure or reboot that resulted in loss
    of memory"，即一端在另一端不知情时关闭或中止了连接，或者因故障、重启丢失了状态而失步；客户端
    崩溃就会留下这样的连接（第 05 课）。半关闭（3.6.1）："closed in only one direction"，只关闭了
    一个方向：先关闭的一方处于 FIN-WAIT-2，另一方处于 CLOSE-WAIT。半连接队列中的条目，RFC 4987
    也称为 half-open connection，中文的“半连接”就是从这里来的；全连接队列（accept queue）里放的
    则是已经 ESTABLISHED、等待 accept() 的连接。

    原文对 FIN-WAIT-2 的描述（“我暂时还有点数据需要传送给你，稍后再关闭连接”）说的其实是对方，
    而不是 FIN-WAIT-2：一个套接字处于 FIN-WAIT-2，是因为它的 FIN 已被确认、而对方的 FIN 还没到，
    和对方还有没有数据要发无关。演示用来自伪造地址的四个半连接填满了半连接队列。""",
)

_add(
    "listen-queues",
    "半连接队列、全连接队列与 SYN cookie",
    """
    一个 Linux 服务器调用 listen(fd, backlog)，一批客户端同时来连接。在 accept() 返回之前，每个
    连接在哪里等待？队列满了会怎样（SYN cookie 打开，这是 Linux 的默认设置）？""",
    (
        "在一个长度为 backlog 的队列里，从第一个 SYN 一直等到 accept()；队列满了，新的 SYN 就收到 "
        "RST，让客户端尽快失败。",
        "半连接在半连接队列里等，已建立的在全连接队列里等。半连接队列溢出时，用 SYN cookie 回应，"
        "不保留任何状态。",
        "哪里也不等：内核把每个 SYN 交给应用程序，由 accept() 发出 SYN+ACK，所以 backlog 只限制"
        "等待的线程数。",
        "只在全连接队列里等；客户端保留着 SYN 不断重发，直到服务器的应用程序调用 accept() 才最终"
        "回应它。",
    ),
    """
    有两个队列：处于 SYN-RECEIVED 的连接在半连接队列（SYN queue）里等客户端的 ACK，已经
    ESTABLISHED 的连接在全连接队列（accept queue）里等 accept() 把它取走（队列长度是 listen()
    的 backlog，上限为 net.core.somaxconn）。半连接队列溢出时，Linux（tcp_syncookies=1）对之后
    的每个 SYN 都用 SYN cookie 回应，什么也不保存；全连接队列满时，它丢弃客户端的 ACK，让连接
    留在 SYN-RECEIVED，并重传 SYN+ACK。

    SYN+ACK 是内核发的，从来不是应用程序：accept() 返回时，握手早已结束（RFC 9293 3.10.7.2；
    用户的 OPEN 只是创建 LISTEN）。ACK 被丢弃的客户端以为自己已经连上了；服务器重传 SYN+ACK，
    等全连接队列有了空位，连接就移进去（若 tcp_abort_on_overflow=1 则改为复位）。`ss -ltn`
    显示监听套接字的全连接队列：Recv-Q 是正在等待的连接数，Send-Q 是 backlog。

    SYN cookie（RFC 4987 3.6）就是 SYN+ACK 的初始序号：对地址、端口、客户端的初始序号和一个
    粗粒度时钟做带密钥的散列，再用两位编码客户端的 MSS。演示用伪造的 SYN 填满半连接队列
    （backlog 为 4）；随后 A 的 SYN 得到一个 cookie SYN+ACK（不会重传：没有谁记得它），A 的 ACK
    带回 cookie + 1，B 据此直接以 ESTABLISHED 状态创建 A 的连接。第二个演示关掉 cookie
    （tcp_syncookies=0），A 要等 63 秒。""",
)

_add(
    "syn-flood",
    "SYN 洪泛与 SYN cookie",
    """
    什么是 SYN 洪泛（SYN flood）？它为什么能把真正的客户端挡在门外？SYN cookie 又是怎样防御
    它的？""",
    (
        "攻击者打开成千上万条完整的连接且从不关闭；SYN cookie 限制一个客户端地址同时能保持多少条"
        "连接。",
        "攻击者用猜测的序号发送 RST 来拆除连接；SYN cookie 让初始序号无法猜测，于是猜不中。",
        "伪造的 SYN 填满半连接队列，真正的 SYN 就被丢弃；使用 SYN cookie 的服务器不保存状态，把它"
        "编码进 SYN+ACK 的初始序号。",
        "攻击者发送通告超大窗口的 SYN，耗尽服务器的缓冲区；SYN cookie 在握手完成前限制每个新连接的"
        "窗口。",
    ),
    """
    来自伪造地址的 SYN 填满服务器容量有限的半连接（SYN-RECEIVED）队列，这些连接等待的 ACK
    永远不会来，于是真正客户端的 SYN 被丢弃。SYN cookie 让服务器在回应时不保存任何状态：需要的
    信息编码在 SYN+ACK 的初始序号（ISN）里，再从带回 ISN+1 的 ACK 中还原出来。

    这种攻击（RFC 4987 第 2 节）利用的是监听方在 SYN 和 ACK 之间保存的状态：收到 SYN 时，它记下
    客户端的 ISN，发出 SYN+ACK，并保留一个处于 SYN-RECEIVED 的连接（RFC 9293 3.10.7.2）。来自
    伪造地址的 SYN 换来的 SYN+ACK 无人应答，所以每个半连接都要等到 SYN+ACK 的重传次数用完才消失：
    在 Linux 上是 63 秒（重传 5 次，间隔 1、2、4、8、16 秒，最后再等 32 秒），按 RFC 对 SYN 的
    规则（3.8.3）最长 3 分钟。半连接队列的长度有限（backlog），所以每秒几个 SYN 就能让它一直满着，
    没有 cookie 时，合法的 SYN 会被直接丢弃、得不到任何回应。演示中（Linux 的计时器，
    tcp_syncookies=0，backlog 为 4），A 在 0.5、1.5、3.5、7.5、15.5 和 31.5 秒发出的 SYN 都被
    丢弃；63.5 秒的那个刚好在伪造条目放弃之后进入。按 RFC 的计时器，伪造条目会占住队列 3 分钟，
    A 最后一个 SYN（123.5 秒）仍然碰到满队列，A 始终没能连上就放弃了。

    SYN cookie（RFC 4987 3.6；Linux 的 net.ipv4.tcp_syncookies，在队列溢出时启用）让监听方在
    握手完成前不保存状态。它的 SYN+ACK 的 ISN 是对地址、端口、客户端 ISN 和一个粗粒度时钟做的
    带密钥散列，并用几位编码客户端的 MSS。之后监听方就忘掉这个 SYN。当一个不属于任何连接的 ACK
    到达时，它检查 SEG.ACK - 1 是不是自己可能生成的 cookie，只有是才创建连接，所以伪造的 SYN
    不消耗它任何资源。代价是：cookie 装不下的选项（窗口扩大、SACK-permitted）会丢失，除非由
    TCP 时间戳携带；SYN+ACK 也从不重传，因为没有谁记得它。Linux 默认打开 cookie
    （tcp_syncookies=1），只在半连接队列溢出时使用。第一个演示是关掉 cookie
    （tcp_syncookies=0）的 Linux，用来展示问题；第三个是默认设置：满队列立即用 cookie SYN+ACK
    回应 A 的 SYN，A 的 ACK 在 0.6 秒建立了连接。其他防御手段：更大的 backlog、更短的
    SYN-RECEIVED 计时器、SYN 缓存（RFC 4987 第 3 节）。""",
    captions=(
        "RFC 的计时器：A 的最后一个 SYN 仍然遇到满的队列",
        "Linux 默认 tcp_syncookies=1：一个 cookie SYN+ACK 让 A 立即连上",
    ),
)

_add(
    "rst-on-close-with-unread-data",
    "带着未读数据调用 close()",
    """
    服务器读完请求的第一行就调用了 close()，而客户端发来的更多字节还留在它的接收缓冲区里没读。
    线路上会出现什么？""",
    (
        "一个正常的 FIN：未读的字节早已确认过，直接丢掉，客户端读完响应后看到的是有序关闭。",
        "什么也没有，直到客户端再发数据：内核让套接字停在 CLOSE-WAIT，直到另一个进程把缓冲区里"
        "剩下的读完。",
        "一个 RST 而不是 FIN，Linux 这样做，RFC 也这样建议：数据丢了，所以客户端收到复位，可能还"
        "来不及读到回复。",
        "一个 FIN，但要等内核把未读的字节转交给下一个在同一端口上 accept 的进程，这样数据一点也不"
        "丢。",
    ),
    """
    Linux 发送 RST 而不是 FIN，因为客户端发来的数据永远不会被读了：RST 告诉客户端它的数据丢了。
    RFC 9293 说主机应当（SHOULD）这样做（3.6.1，SHLD-3）；在此之前，RFC 2525 2.17 已把不这样做
    列为一个已知的实现问题。

    RFC 9293 3.6.1："If such a host issues a CLOSE call while received data is still pending in
    the TCP connection, or if new data is received after CLOSE is called, its TCP implementation
    SHOULD send a RST to show that data was lost"（SHLD-3），即调用 CLOSE 时还有已收到但未读的
    数据，或调用 CLOSE 之后又收到新数据，都应当发 RST 表明数据丢失。课程附带的抓包
    close-unread.pcap 显示 Linux 正是这样：客户端的 22 个字节被确认，然后服务器的 close() 发出
    RST+ACK，根本没有 FIN。close() 之后到达的报文段同样会招来 RST。

    对客户端的后果：RST 使它的 TCP 删除连接，服务器在 close() 之前刚写出的响应可能在客户端读到
    之前就被丢弃（客户端看到的是 “connection reset by peer”，而不是回复）。HTTP 服务器的办法是
    先读完剩下的数据（lingering close），或先调用 shutdown(SHUT_WR)。这里的演示是 close 可能
    发出的另一种 RST，即 ABORT（SO_LINGER 超时设为零）：<SEQ=SND.NXT><CTL=RST>，没有 FIN，
    也没有 TIME-WAIT。""",
)

_add(
    "when-rst",
    "什么时候发送 RST",
    "TCP 什么时候发送复位报文段（RST）？选出正确的那一组。",
    (
        "只在应用程序用 SO_LINGER 为零中止连接时；其他所有错误都用 ICMP 报文告知对方。",
        "对不属于任何连接的报文段（端口未打开、连接已被忘掉、确认了从未发送的数据），中止连接时，"
        "以及带着未读数据关闭时。",
        "每当报文段丢失或失序时，要求发送方从那里重传；RST 携带期望收到的下一个序号。",
        "每条连接结束时：最后一个 ACK 之后，处于 TIME-WAIT 的一方发一个 RST，让对方立即释放套接字"
        "和缓冲区。",
    ),
    """
    RST 回应的是一个看上去不属于接收方任何连接的报文段：发往未打开端口的 SYN，发给一台重启后
    已忘掉连接的主机的数据，确认了从未发送内容的 ACK。它也是应用程序中止连接（SO_LINGER 0）的
    方式，以及 Linux 关闭一个收到的数据从未被读取的连接的方式。

    规则是：RST 在 "whenever a segment arrives that apparently is not intended for the current
    connection. A reset must not be sent if it is not clear that this is the case" 时发送
    （RFC 9293 3.5.2），也就是说，只在报文段显然不属于当前连接时发送，不能确定时不得发送。

    没有连接：发往未打开端口的 SYN 换来 <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>，即
    “connection refused”（3.10.7.1，就是本题的演示）；发给已忘掉连接的重启主机的数据换来
    <SEQ=SEG.ACK><CTL=RST>（发现半开连接，3.5.1 Figure 10；演示 half-open-after-server-reboot）。
    尚未同步：处于 SYN-SENT 的 A 对旧的重复 SYN 招来的 SYN+ACK 回以 RST（3.5 Figure 8；演示
    old-duplicate-syn）。用户中止：ABORT 发出 <SEQ=SND.NXT><CTL=RST> 并立即删除连接，没有 FIN，
    也没有 TIME-WAIT（3.10.5；套接字上就是 SO_LINGER 超时为零再 close；演示 abort）。数据丢失：
    调用 close() 不再读取的主机，若收到的数据仍未读或之后又到达，应当发送 RST（3.6.1 SHLD-3，
    RFC 2525 2.17）；Linux 就这样做，课程附带的抓包 close-unread.pcap 可以为证；保活（keepalive）
    放弃时它也会复位。

    不用 RST 回应的情况：在同步状态下，窗口外的报文段换来一个 ACK（3.5.2 第三组）；落在窗口内
    但不正好等于 RCV.NXT 的 RST 换来一个挑战 ACK（RFC 5961 3.2），使盲目的攻击者无法靠猜测复位
    连接。RST 从不被确认，也从不被回应。有一种 RST 会在造成危害的地方被接受：正好落在 RCV.NXT 上
    的 RST 会提前结束 TIME-WAIT（“TIME-WAIT 暗杀”，RFC 1337；演示 time-wait-assassination）。""",
)

ZH_CN: Mapping[str, Texts] = MappingProxyType(_TEXTS)
