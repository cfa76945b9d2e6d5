"""The demo's conversations: twenty chats with short, believable histories, played through the services.

Department groups, a launch room, lunch and badminton groups, old classmates, and one-to-one
chats in Chinese and English with markdown, @mentions, replies and reactions. Read cursors are
left where real people would leave them, so ``admin`` opens the demo to unread badges.

Everything goes through the services, exactly as if the people had used the app, so the demo
data obeys every rule the product does (friends before direct chats, gapless sequences, events
in the log). The static data below is the whole script; the only choices made at run time come
from ``random.Random(2014)``, so two seeds give the same workspace: the same histories (same
sequence numbers), reactions and read cursors. Only row ids may differ, because the chats' sends
overlap to keep the seed within seconds.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from lakeside.demo.people import ADMIN
from lakeside.domain.messages import SendMessage
from lakeside.services.accounts import AuthUser
from lakeside.services.container import Services

SEED = 2014  # the year DingTalk launched


@dataclass(frozen=True)
class Line:
    """One message of a script. ``reply_to`` is the index of an earlier line of the same chat."""

    sender: str
    body: str
    markdown: bool = False
    reply_to: int | None = None
    reactions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # emoji -> who


def say(
    sender: str,
    body: str,
    *,
    md: bool = False,
    reply: int | None = None,
    react: Mapping[str, tuple[str, ...]] | None = None,
) -> Line:
    return Line(sender, body, md, reply, react or {})


@dataclass(frozen=True)
class Chat:
    """A conversation and its history. The first member opens the direct chat or owns the group;
    a chat without a title is a direct chat. ``unread`` pins how many of the last messages a member
    has not read; the other members' cursors are chosen by the seeded random generator."""

    members: tuple[str, ...]
    lines: tuple[Line, ...]
    title: str | None = None
    unread: Mapping[str, int] = field(default_factory=dict)


# In the order they are seeded: the last ones end up at the top of everyone's conversation list.
CHATS: tuple[Chat, ...] = (
    Chat(
        title="老同学",
        members=(ADMIN, "hexiaoyu", "zhengshuang", "songjia", "fengyu", "sophie"),
        unread={ADMIN: 1},
        lines=(
            say(ADMIN, "拉个群，大家好久没聚了！"),
            say("hexiaoyu", "哈哈终于有群了"),
            say("songjia", "毕业十年了吧 😭"),
            say("fengyu", "十一年了……"),
            say("sophie", "Hi everyone! I'm back in Hangzhou for two weeks in October 🇨🇳"),
            say("zhengshuang", "Sophie 回来必须聚！"),
            say("hexiaoyu", "10 月 3 号晚上？西湖边那家老店"),
            say("songjia", "我可以"),
            say("fengyu", "3 号我要加班……4 号行不行", reply=6),
            say(ADMIN, "那就 4 号，我来订位子", react={"👍": ("hexiaoyu", "songjia", "sophie")}),
            say("sophie", "Perfect, see you all on the 4th! 🎉"),
        ),
    ),
    Chat(
        members=("songjia", "zhengshuang"),
        lines=(
            say("songjia", "周末去湖滨逛街吗？"),
            say("zhengshuang", "好呀，周六还是周日？"),
            say("songjia", "周日吧，周六要陪我妈"),
            say("zhengshuang", "那周日下午 2 点，湖滨银泰门口见"),
            say("songjia", "👌"),
        ),
    ),
    Chat(
        members=("emily", "sophie"),
        lines=(
            say("emily", "Sophie! Are you really coming back in October?"),
            say("sophie", "Yes!! Flights booked 🎉"),
            say("emily", "We have to go to that dumpling place on Nanshan Road"),
            say("sophie", "Obviously. Also I need to buy a ton of tea for my colleagues"),
            say("emily", "I know a good shop near Longjing village, I'll take you"),
            say("sophie", "You're the best ❤️"),
        ),
    ),
    Chat(
        members=("maqiang", "gaoyan"),
        lines=(
            say("maqiang", "高姐，上个月的招待费报销走到哪一步了？"),
            say("gaoyan", "在总经理那边审批，应该明天能批"),
            say("maqiang", "好的，那张 2380 的发票没问题吧？"),
            say("gaoyan", "那张抬头写错了，要重开，抬头得是公司全称", reply=2),
            say("maqiang", "啊，好的，我找客户重开"),
            say("gaoyan", "重开后直接拍照发我就行，原件之后补"),
        ),
    ),
    Chat(
        title="销售部",
        members=("maqiang", "hujun", "guoxin", "linfeng", "kevin", "michael", "gaoyan", ADMIN),
        lines=(
            say("maqiang", "本周业绩：新签 6 家，续费 11 家，大家辛苦了 💪"),
            say("hujun", "滨江那家物流公司下周签，合同法务在看"),
            say("kevin", "The Shanghai client asked for an on-site demo next Tuesday. Who can join me?"),
            say("michael", "I can. I'll prepare the pricing sheet.", reply=2),
            say("guoxin", "月底冲刺，还差 3 家完成季度目标"),
            say(
                "maqiang",
                "冲刺奖励：\n\n- 完成季度目标：**团队聚餐**\n- 个人前三：每人 1000 元奖金\n\n加油！",
                md=True,
                react={"🔥": ("hujun", "guoxin", "linfeng"), "💪": ("kevin",)},
            ),
            say("gaoyan", "提醒：上月的差旅报销本周五截止，发票原件交到财务室"),
            say("linfeng", "@gaoyan 电子发票可以吗？", reply=6),
            say("gaoyan", "@linfeng 可以，打印出来签字就行"),
            say("kevin", "Got it, thanks!"),
        ),
    ),
    Chat(
        title="市场部",
        members=("yangxue", "zhoujie", "wuting", "sunhao", "emily", "alice", ADMIN),
        lines=(
            say("yangxue", "大家好，Q3 市场计划下周一前要交，各自负责的部分这周五前发我"),
            say("zhoujie", "收到，渠道投放那块我来"),
            say("wuting", "公众号和小红书我来写"),
            say("emily", "I'll take the English landing page and the newsletter."),
            say(
                "alice",
                "Design side: I'll refresh the brand kit first — new colors are in the shared drive 🎨",
            ),
            say(
                "yangxue",
                "预算初稿：\n\n| 渠道 | 预算 |\n|---|---|\n| 公众号 | 3 万 |\n| 小红书 | 5 万 |\n"
                "| 线下活动 | 8 万 |\n\n**合计 16 万**，有意见直接说。",
                md=True,
            ),
            say("sunhao", "线下活动 8 万包含展会场地费吗？"),
            say("yangxue", "@sunhao 包含，国博那场展会场地 5 万", reply=6),
            say("sunhao", "明白了"),
            say("wuting", "小红书的合作博主名单整理好了，一共 12 位，报价普遍比去年涨了 20% 😅"),
            say("zhoujie", "可以先挑 5 个试水，看转化再追加"),
            say("yangxue", "同意 @zhoujie 的方案", react={"👍": ("wuting", "zhoujie")}),
            say(
                "emily",
                'Newsletter draft is ready for review. Subject line: "Meet Lakeside: chat that stays in '
                'your company"',
            ),
            say("alice", "Love the subject line!", reply=12, react={"❤️": ("emily",)}),
            say(ADMIN, "官网的新闻稿发布前发我看一下，涉及产品功能的描述我核对一下"),
            say("yangxue", "好的，周四前给您"),
            say(
                "wuting",
                "周五下午茶我订好了，奶茶口味在表格里自己选 🧋",
                react={"🎉": ("emily", "sunhao", "zhoujie"), "❤️": ("alice",)},
            ),
        ),
    ),
    Chat(
        members=("alice", "david"),
        lines=(
            say("alice", "Hey David, did you see the new icon set?"),
            say("david", "Yes! The chat bubble icon looks great"),
            say("alice", "The settings one feels a bit heavy to me though"),
            say("david", "Agreed. Maybe a 1.5px stroke instead of 2px?"),
            say("alice", "Trying it now…"),
            say("alice", "Updated `icons-v3.fig`, page **Settings**. Better?", md=True),
            say("david", "Much better 👍", react={"❤️": ("alice",)}),
            say("alice", "Shipping it then 🚢"),
        ),
    ),
    Chat(
        members=("kevin", "emily"),
        lines=(
            say("kevin", "Emily, could you send me the latest product one-pager?"),
            say("emily", "Sure — English or Chinese version?"),
            say("kevin", "Both please, the client has a team in Singapore"),
            say("emily", "Sent to your email. The Chinese one still says 2.2, I'll fix it tonight"),
            say("kevin", "Thanks, you saved my demo 🙏"),
        ),
    ),
    Chat(
        members=("xiemin", ADMIN),
        lines=(
            say("xiemin", "管理员您好，下周一有 3 位新同事入职，需要开通账号"),
            say(
                "xiemin",
                "名单：\n\n1. 陆一鸣 —— 产品研发部\n2. 王晓 —— 市场部\n3. 陈思远 —— 销售部\n\n"
                "邮箱都是 **姓名拼音@company.com**",
                md=True,
            ),
            say(ADMIN, "好的，周五下班前开好，初始密码发到他们的个人邮箱"),
            say("xiemin", "谢谢！入职培训要讲一下 Lakeside 怎么用，您能来 10 分钟吗？"),
            say(ADMIN, "没问题，周一上午 10 点？"),
            say("xiemin", "好的，我发会议邀请 📅"),
        ),
    ),
    Chat(
        title="周末羽毛球",
        members=("liuyang", "zhaolei", "sunhao", "linfeng", "hexiaoyu", "chenjing"),
        lines=(
            say("liuyang", "周六下午 2-4 点，黄龙体育中心 3 号场，订好了 🏸"),
            say("zhaolei", "+1"),
            say("sunhao", "+1，我带球"),
            say("chenjing", "我可能晚半小时到"),
            say("hexiaoyu", "我也来！带一个朋友可以吗？"),
            say("liuyang", "@hexiaoyu 可以，正好凑三片场", reply=4),
            say("linfeng", "上次谁把我的拍子拿错了 😂 红色的 YONEX"),
            say("zhaolei", "……好像是我，周六还你", reply=6, react={"😂": ("sunhao", "liuyang")}),
            say("liuyang", "场地费 AA：**每人 45 元**，打完统一转我", md=True),
            say("sunhao", "没问题"),
            say("hexiaoyu", "打完去吃烧烤？"),
            say("chenjing", "同意 🍢"),
            say("linfeng", "我也去"),
            say("liuyang", "那我订个 6 点的位子", react={"👍": ("hexiaoyu", "chenjing")}),
        ),
    ),
    Chat(
        members=("chenjing", "hexiaoyu"),
        lines=(
            say("chenjing", "晓雨，周六打球你带的朋友是谁呀"),
            say("hexiaoyu", "我大学室友，刚搬来杭州，人很好"),
            say("chenjing", "那正好，打完一起吃烧烤"),
            say("hexiaoyu", "对了你上次说的那家咖啡店叫啥"),
            say("chenjing", "「湖边」，在保俶路上，手冲很不错 ☕"),
            say("hexiaoyu", "收藏了！"),
        ),
    ),
    Chat(
        members=("wangfang", "yangxue"),
        lines=(
            say("wangfang", "雪姐，发布会的新闻稿初稿看完了，有几处产品描述要改"),
            say("yangxue", "好，你直接在文档里批注？"),
            say(
                "wangfang",
                "主要三点：\n\n1. 不要写“永不丢消息”，改成“每条消息都可追溯”\n"
                "2. 群聊上限写 **1 万人**，不是 10 万\n3. 截图换成最新版本",
                md=True,
            ),
            say("yangxue", "收到，第二点是我记错了 😅"),
            say("wangfang", "没事，改完发我再看一遍"),
            say("yangxue", "今晚改好", react={"🙏": ("wangfang",)}),
        ),
    ),
    Chat(
        members=(ADMIN, "luobin"),
        lines=(
            say(ADMIN, "罗斌，机房那台 NAS 的备份任务昨晚失败了，你看一下？"),
            say("luobin", "看了，是磁盘满了，清掉了一些旧快照"),
            say(
                "luobin",
                "现在的情况：\n\n```\n/dev/sdb1  3.6T  2.9T  700G  81% /backup\n```\n\n够用三个月左右。",
                md=True,
            ),
            say(ADMIN, "好，下个季度预算里加两块硬盘"),
            say("luobin", "👌 我写个申请"),
        ),
    ),
    Chat(
        members=("alice", ADMIN),
        lines=(
            say("alice", "Hi! Quick question about Lakeside — can we upload custom emoji?"),
            say(ADMIN, "Not yet 😅 It's on the list. What do you need them for?"),
            say(
                "alice",
                "Mostly for the brand team:\n\n- our logo as an emoji\n- a few stickers from the campaign\n"
                "- *maybe* a party parrot",
                md=True,
            ),
            say(ADMIN, "Ha, the party parrot is a must. I'll let you know when it's ready", reply=2),
            say("alice", "Thank you!! 🙌"),
        ),
    ),
    Chat(
        title="产品研发部",
        members=("zhangwei", "wangfang", "liuyang", "chenjing", "lina", "zhaolei", "david", ADMIN),
        unread={ADMIN: 3},
        lines=(
            say("zhangwei", "各位早，今天下午 3 点 v2.3 版本评审，会议室 A，别迟到 🙏"),
            say(
                "wangfang",
                "评审议程：\n\n1. 订单导出（**必须**本周上线）\n2. 消息通知改版\n3. 小程序登录 bug 复盘\n\n"
                "PRD 已更新，大家会前扫一眼。",
                md=True,
            ),
            say("liuyang", "收到"),
            say("david", "Got it. Will the mobile team join? @wangfang"),
            say("wangfang", "@david yes, 小周他们远程接入", reply=3),
            say("lina", "提测时间能定一下吗？上次压缩到一天，测试太赶了 😂"),
            say("zhangwei", "周四提测，周五回归，下周二发布。@lina 这次给你们留足两天", reply=5),
            say("lina", "好的 👌"),
            say(
                "zhaolei",
                "订单导出我看了下，数据量大会超时，建议改成异步任务：\n\n```python\n"
                'job = export_orders.delay(shop_id, month)\nreturn {"job_id": job.id}\n```\n\n'
                "前端轮询进度就行。",
                md=True,
                react={"👍": ("zhangwei", "liuyang")},
            ),
            say("chenjing", "前端可以，进度条的设计稿我下午给出来"),
            say("zhangwei", "@zhaolei 可以，就这么定。超时阈值你评估一下", reply=8),
            say("zhaolei", "OK，预计超过 30 秒的都走异步"),
            say(ADMIN, "提醒一下：今晚 22:00 数据库升级，预计停机 15 分钟，有定时任务的同学注意。"),
            say("liuyang", "我的对账任务 22:30 跑，应该没影响吧？"),
            say(ADMIN, "@liuyang 没影响，22:15 之前会恢复", reply=13),
            say(
                "david",
                "Quick update: iOS build 2.3.0 (123) is on TestFlight 📱",
                react={"🎉": ("wangfang", "lina", "zhangwei")},
            ),
            say("wangfang", "赞！评审会上顺便演示一下"),
            say("lina", "测试环境账号我放在 wiki 了，密码找我私聊"),
            say(
                "zhangwei",
                "会议纪要：\n\n- 订单导出：**异步**方案，@zhaolei 负责\n- 通知改版：延到 2.4\n"
                "- 小程序登录：已修复，@lina 补一条回归用例\n\n下周二 10:00 发布。",
                md=True,
                react={"👍": ("zhaolei", "lina", "wangfang")},
            ),
            say("chenjing", "进度条设计稿放在 Figma「2.3 订单导出」页了"),
            say("liuyang", "明天早上 standup 改到 9:45 吗？"),
            say("zhangwei", "对，9:45，别忘了", reply=20),
        ),
    ),
    Chat(
        members=("zhangwei", "liuyang"),
        lines=(
            say("zhangwei", "对账服务那个 PR 我看了，有个地方要改"),
            say("liuyang", "哪里？"),
            say(
                "zhangwei",
                "`reconcile()` 里每一单都查一次数据库，N+1 了：\n\n```python\nfor order in orders:\n"
                "    payment = db.get_payment(order.id)\n```\n\n改成按 id 一次批量查。",
                md=True,
            ),
            say("liuyang", "确实，我改成 `get_payments(ids)`", md=True),
            say(
                "liuyang",
                "改好了，顺便加了个测试：10 万单从 40 秒降到 3 秒",
                react={"🎉": ("zhangwei",)},
            ),
            say("zhangwei", "漂亮 👍 合了"),
            say("liuyang", "🙏"),
        ),
    ),
    Chat(
        members=("hexiaoyu", ADMIN),
        unread={ADMIN: 1},
        lines=(
            say("hexiaoyu", "群里定了 4 号哈，位子订好没"),
            say(ADMIN, "订好了，6 点，8 个人的包间"),
            say("hexiaoyu", "👍 我叫上我室友可以吗，她也是我们学校的"),
            say(ADMIN, "当然可以"),
            say("hexiaoyu", "对了，上次借你的那本《三体》我带过去还你"),
        ),
    ),
    Chat(
        title="午饭去哪儿",
        members=("lina", "chenjing", "wangfang", "wuting", "zhaolei", ADMIN),
        unread={ADMIN: 2},
        lines=(
            say("lina", "今天吃啥 🤔"),
            say("zhaolei", "楼下新开的兰州拉面？"),
            say("chenjing", "上周吃过了，换一个", reply=1),
            say("wuting", "黄焖鸡！"),
            say("wangfang", "我 12:30 有会，帮我带一份？"),
            say("lina", "@wangfang 行，黄焖鸡中辣？", reply=4),
            say("wangfang", "微辣，谢谢 🙏"),
            say(ADMIN, "带我一个，照旧 😂"),
            say("lina", "好的，11:50 电梯口集合"),
            say("zhaolei", "外面下雨了，要不点外卖？"),
            say("wuting", "外卖满 100 减 20，凑单接龙：\n\n1. 吴婷 黄焖鸡（微辣）\n2. 李娜 酸菜鱼", md=True),
            say("chenjing", "3. 陈静 酸菜鱼 +1"),
            say("zhaolei", "4. 赵磊 牛肉饭"),
            say("lina", "已下单，预计 12:20 到", react={"👍": ("chenjing", "wuting")}),
        ),
    ),
    Chat(
        members=("zhangwei", ADMIN),
        unread={ADMIN: 2},
        lines=(
            say("zhangwei", "在吗？生产环境部署有个问题请教一下"),
            say(ADMIN, "在，你说"),
            say(
                "zhangwei",
                "新版本起服务的时候报这个：\n\n```\nerror: database is at revision 0007 but this build "
                "expects 0006\n```\n\n是不是要先跑迁移？",
                md=True,
            ),
            say(ADMIN, "不是，是你拉的代码比服务器上的旧。数据库已经升级过了，旧版本拒绝启动是对的"),
            say("zhangwei", "原来如此，我 pull 一下最新的"),
            say("zhangwei", "好了，起来了 ✅"),
            say("zhangwei", "顺便问一下，明早压测结果你有空一起看吗？"),
        ),
    ),
    Chat(
        title="Lakeside launch 🚀",
        members=("wangfang", ADMIN, "zhangwei", "david", "liuyang", "yangxue", "maqiang"),
        unread={ADMIN: 3},
        lines=(
            say("wangfang", "Welcome to the launch room! 下周全公司切换到 Lakeside，这里同步上线进度 🚀"),
            say(
                ADMIN,
                "Server status:\n\n- ✅ PostgreSQL migration tested\n- ✅ Nightly backups\n"
                "- ⏳ SSO with the company mailbox\n- ❌ Importing old WeChat group history (won't do)",
                md=True,
            ),
            say("zhangwei", "SSO 这周能搞定吗？大家不想再记一个密码"),
            say(ADMIN, "@zhangwei 周三之前，OIDC 对接已经在测了", reply=2),
            say("yangxue", "内部宣传海报做好了，周五贴到茶水间 😄"),
            say("david", "Mobile: the web client works fine on iOS Safari, tested on my phone."),
            say("maqiang", "销售部问：客户那边的群能不能也搬过来？"),
            say("wangfang", "@maqiang 第一阶段只做内部，外部联系人放在第二阶段", reply=6),
            say("maqiang", "好，那我先跟大家说一声"),
            say("liuyang", "我写了个脚本把通讯录批量导入，明天给 @admin 过一下"),
            say(ADMIN, "好的，用 CLI 的 `lakeside user create` 也可以", md=True),
            say(
                "wangfang",
                "**上线时间表**\n\n1. 周三：SSO 上线\n2. 周四：全员账号导入\n"
                "3. 周五：培训 15 分钟（午饭前）\n4. 下周一：正式切换 🎉",
                md=True,
                react={"🎉": ("zhangwei", "yangxue", "david", ADMIN), "👍": ("maqiang",)},
            ),
            say("david", "Can we keep the old WeChat group read-only for a week? Just in case."),
            say("wangfang", "Good idea, let's do that.", reply=12),
            say("yangxue", "培训的 slides 我来做，@admin 给我一个截图清单？"),
            say("zhangwei", "@admin 另外明早 10 点能一起过一下压测结果吗？"),
            say("wangfang", "明早我也参加"),
        ),
    ),
)


async def play_chats(services: Services, users: dict[str, AuthUser]) -> None:
    """Open every chat of ``CHATS``, send its lines, add its reactions and leave read cursors."""
    rooms = [await _open(services, users, chat, number) for number, chat in enumerate(CHATS, 1)]
    # Every chat's lines but its last at once: each chat still sends one line after another, in
    # script order, while the message writer commits the chats' lines together in a few batches.
    await asyncio.gather(*(_send_lines(services, users, room, len(room.chat.lines) - 1) for room in rooms))
    # The last lines one chat at a time, so that conversation lists come out in the order of CHATS.
    for room in rooms:
        await _send_lines(services, users, room, len(room.chat.lines))
    for room in rooms:
        await _react(services, users, room)
    rng = random.Random(SEED)
    for room in rooms:
        await _leave_read_cursors(services, users, room, rng)


@dataclass
class _Room:
    """A chat being played: its conversation and what has been sent so far."""

    chat: Chat
    number: int
    conversation_id: int
    message_ids: list[int] = field(default_factory=list)
    last_seq: int = 0
    spoke_at: dict[str, int] = field(default_factory=dict)  # username -> seq of their last line


async def _open(services: Services, users: dict[str, AuthUser], chat: Chat, number: int) -> _Room:
    opener = users[chat.members[0]]
    others = [users[name].id for name in chat.members[1:]]
    if chat.title is None:
        view, _ = await services.conversations.do_open_direct(opener, others[0])
    else:
        view = await services.conversations.do_create_group(opener, chat.title, others)
    return _Room(chat, number, view["id"], last_seq=view["last_seq"])


async def _send_lines(services: Services, users: dict[str, AuthUser], room: _Room, stop: int) -> None:
    """Send the chat's lines up to ``stop``, each after the previous one has committed."""
    for index in range(len(room.message_ids), stop):
        line = room.chat.lines[index]
        command = SendMessage(
            client_msg_id=f"demo-{room.number}-{index}",
            kind="markdown" if line.markdown else "text",
            body=line.body,
            reply_to_id=room.message_ids[line.reply_to] if line.reply_to is not None else None,
        )
        result = await services.messages.do_send(users[line.sender], room.conversation_id, command)
        room.message_ids.append(result.message["id"])
        room.last_seq = result.message["seq"]
        room.spoke_at[line.sender] = room.last_seq


async def _react(services: Services, users: dict[str, AuthUser], room: _Room) -> None:
    for line, message_id in zip(room.chat.lines, room.message_ids, strict=True):
        for emoji, people in line.reactions.items():
            for name in people:
                await services.messages.do_react(users[name], message_id, emoji, add=True)


async def _leave_read_cursors(
    services: Services, users: dict[str, AuthUser], room: _Room, rng: random.Random
) -> None:
    """Members read up to the end, except the unread the script pins and, elsewhere, about one
    reader in four who lags a message or three. Sending moved each sender's cursor already."""
    for name in room.chat.members:
        behind = room.chat.unread.get(name)
        if behind is None:
            behind = rng.randint(1, 3) if name != ADMIN and rng.random() < 0.25 else 0
        seq = room.last_seq - behind
        if seq > room.spoke_at.get(name, 0):
            await services.messages.do_mark_read(users[name], room.conversation_id, seq)
